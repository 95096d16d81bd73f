"""Reading human-graded datasets (CSV) and long-form ratings: whatever the rows, a dataset or one clear error."""

import csv
import io
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.errors import GraderError
from grader.inputs.datasets import read_dataset
import shutil

import pytest

from grader.inputs.datasets import read_ratings
from grader.models import Scale

from helpers import FOLDER, SHORT


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.text(st.sampled_from(list('ab1.,"\n x-')), max_size=6), min_size=1, max_size=5),
                     max_size=5), header=st.sampled_from(["answer_id,question_id,answer,score", "answer_id,answer",
                                                          "question_id,question,reference_answer"]))
def test_dataset_reader_on_any_csv_only_raises_grader_errors(tmp_path_factory, rows, header):
    d = tmp_path_factory.mktemp("ds")
    (d / "questions.csv").write_text("question_id,question,reference_answer\nq1,Why?,Because.\n")
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    (d / "answers.csv").write_text(header + "\n" + buf.getvalue())
    try:
        ds = read_dataset(d)
    except GraderError as exc:
        assert "\n" not in str(exc)
        return
    assert ds.answers and all(a.question_id == "q1" for a in ds.answers)


def test_short_answer_reader_keeps_ids_as_strings_and_reads_raters(short_dataset):
    ds = short_dataset
    assert ds.kind == "short_answer" and ds.dimensions == ["score"] and ds.scale.type == "continuous"
    assert [q.id for q in ds.questions] == ["Q.1", "q2", "Q 3", "4"]
    first = ds.answers[0]
    assert first.id == "Q.1.1" and first.split == "train" and set(first.ratings["score"]) == {
        "rater_1", "rater_2", "rater_3"}
    assert len(ds.fingerprint) == 64


def test_reader_errors_name_the_file_and_the_line(tmp_path):
    shutil.copytree(SHORT, tmp_path / "d")
    path = tmp_path / "d" / "answers.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",1.0,", ",high,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(GraderError, match=r"answers.csv: line 4: score 'high' is not a number"):
        read_dataset(tmp_path / "d")
    path.write_text("answer_id,answer\n1,x\n")
    with pytest.raises(GraderError, match="missing column"):
        read_dataset(tmp_path / "d")
    with pytest.raises(GraderError, match="not a dataset"):
        read_dataset(tmp_path)


def test_optional_reference_answers_add_reference_lines(tmp_path):
    """`reference_answers.csv` (question_id, reference_answer; other columns ignored) adds every other accepted
    answer to its question's reference, each a line (so a key point of the generic rubric), duplicates once."""
    shutil.copytree(SHORT, tmp_path / "d")
    (tmp_path / "d" / "reference_answers.csv").write_text(
        "question_id,reference_id,category,reference_answer\n"
        "q2,r1,BEST,The ice melts into water because it absorbs heat from the sun\n"
        "q2,r2,MINIMAL,  the sun  melts the ice\n")
    ds = read_dataset(tmp_path / "d")
    q2 = next(q for q in ds.questions if q.id == "q2")
    assert q2.reference.splitlines() == ["The ice melts into water because it absorbs heat from the sun",
                                         "the sun melts the ice"]
    assert ds.fingerprint != read_dataset(SHORT).fingerprint
    (tmp_path / "d" / "reference_answers.csv").write_text("question_id,reference_answer\nnope,x\n")
    with pytest.raises(GraderError, match=r"reference_answers.csv: line 2: question_id 'nope' is not in"):
        read_dataset(tmp_path / "d")


def test_scale_is_inferred_without_dataset_yaml(tmp_path):
    shutil.copytree(SHORT, tmp_path / "d")
    (tmp_path / "d" / "dataset.yaml").unlink()
    assert read_dataset(tmp_path / "d").scale.type == "continuous"  # 0, 1/3, 2/3, 1
    ds = read_dataset(FOLDER)
    assert ds.scale == Scale(min=1, max=4, type="ordinal") and ds.dimensions == ["building", "framing", "overall"]
    assert ds.answers[2].grades["overall"] == 2.5  # mean of two raters


def test_read_ratings_long_form():
    data, scale = read_ratings(FOLDER / "grades.csv")
    items, raters, grades = data["overall"]
    assert raters == ["ann", "bob"] and len(items) == 12 and scale.type == "ordinal"


def _ratings_csv(tmp_path, text, name="ratings.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_empty_and_na_grades_are_not_rated(tmp_path):
    """The item is left out for that rater only: the other raters' grades of it still count."""
    rows = "item_id,rater,dimension,grade\na,h1,d,1\na,h2,d,NA\nb,h1,d,2\nb,h2,d,\nc,h1,d,3\nc,h2,d,2\n"
    data, scale = read_ratings(_ratings_csv(tmp_path, rows))
    items, raters, grades = data["d"]
    assert items == ["a", "b", "c"] and raters == ["h1", "h2"] and scale == Scale(min=1, max=3, type="ordinal")
    assert grades[0][0] == 1 and math.isnan(grades[0][1]) and math.isnan(grades[1][1]) and grades[2] == [3, 2]
    only_na = read_ratings(_ratings_csv(tmp_path, rows.replace(",\n", ",NA\n"), "na.csv"))[0]["d"][2]
    assert str(only_na) == str(grades)  # an empty cell and NA mean the same


def test_na_in_a_dataset_is_not_graded_like_an_empty_cell(tmp_path):
    shutil.copytree(FOLDER, tmp_path / "d")
    grades = tmp_path / "d" / "grades.csv"
    grades.write_text(grades.read_text().replace("cats_3,bob,overall,2", "cats_3,bob,overall,NA"))
    ds = read_dataset(tmp_path / "d")
    assert ds.answers[2].ratings["overall"] == {"ann": 3.0} and ds.answers[2].grades["overall"] == 3.0


def test_ratings_in_utf16_with_answer_id(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("answer_id,rater,dimension,grade\na,h1,d,1\na,h2,d,2\nb,h1,d,2\n", encoding="utf-16")
    data, scale = read_ratings(p)
    assert data["d"][0] == ["a", "b"] and scale.type == "binary"


@pytest.mark.parametrize("cell, message", [
    ("na", "line 3: grade 'na' is not a number"), ("N/A", "line 3: grade 'N/A' is not a number"),
    ("n/a", "line 3: grade 'n/a' is not a number"), ("nan", "line 3: grade 'nan' is not a finite number"),
    ("-", "line 3: grade '-' is not a number"), ("three", "line 3: grade 'three' is not a number"),
])
def test_other_non_numbers_are_refused_with_the_file_and_line(tmp_path, cell, message):
    p = _ratings_csv(tmp_path, f"item_id,rater,dimension,grade\na,h1,d,1\na,h2,d,{cell}\nb,h1,d,2\n")
    with pytest.raises(GraderError) as exc:
        read_ratings(p)
    text = str(exc.value)
    assert text.startswith(f"{p}: {message} (") and "write NA where the rater did not rate" in text
    assert "\n" not in text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.text(st.sampled_from(list('ab1.,"\n xNA-')), max_size=5), min_size=1, max_size=5),
                     max_size=6), header=st.sampled_from(["item_id,rater,dimension,grade",
                                                          "answer_id,rater,dimension,grade", "item_id,grade", ""]))
def test_ratings_reader_on_any_csv_only_raises_grader_errors_naming_the_file(tmp_path_factory, rows, header):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    p = tmp_path_factory.mktemp("r") / "ratings.csv"
    p.write_text(header + "\n" + buf.getvalue())
    try:
        read_ratings(p, ["b"])
    except GraderError as exc:
        assert str(exc).startswith(f"{p}: ") and "calibrat" not in str(exc) and "dataset" not in str(exc)

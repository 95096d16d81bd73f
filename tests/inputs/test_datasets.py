"""Reading human-graded datasets (CSV) and long-form ratings: whatever the rows, a dataset or one clear error."""

import csv
import io

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

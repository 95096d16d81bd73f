"""`grader calibrate`, `grade --calibration` and `grader agree` through the CLI (model-free backend)."""

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.models import AgreementReport, CalibrationSummary, to_json

DATA = Path(__file__).parent / "data"


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def calibrated(tmp_path):
    res = _run("calibrate", DATA / "answer_folder", "--cv", 3, "--seed", 0, "--group-by", "none",
               "--predictions", tmp_path / "oof.csv", "--model", tmp_path / "cal.json",
               "--rubric", DATA / "tiny_rubric.yaml", "--backend", "hashing", "--no-cache", "--bootstrap", 20)
    assert res.exit_code == 0, res.output
    return tmp_path


def test_calibrate_writes_predictions_agreement_and_model(calibrated):
    with open(calibrated / "oof.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:6] == ["answer_id", "question_id", "fold", "raw_score", "predicted", "human"]
    assert len(rows) == 12 * 3 and {r["dimension"] for r in rows} == {"building", "framing", "overall"}
    assert {r["fold"] for r in rows} == {"0", "1", "2"}
    summary = json.loads((calibrated / "oof.agreement.json").read_text())
    assert summary["cv"] == {"folds": 3, "seed": 0, "group_by": "none"}
    assert "qwk" in summary["dimensions"]["overall"]["metrics"]
    assert json.loads((calibrated / "cal.json").read_text())["kind"] == "answer-grader-calibration"


RATER_KEYS = ["metrics", "intervals", "bands", "confusion", "largest_disagreements"]


def test_calibrate_json_keeps_its_shape(calibrated):
    """Key order, absent keys, nulls and numbers as the dict-based summary wrote them (ordinal answer folder)."""
    assert (calibrated / "oof.csv").read_text().splitlines()[:2] == [
        "answer_id,question_id,fold,raw_score,predicted,human,dimension,variant",
        "cats_1,cats,2,1.0,2.5,4.0,building,reference+neighbours"]
    text = (calibrated / "oof.agreement.json").read_text()
    assert to_json(CalibrationSummary.model_validate_json(text)) == text
    summary = json.loads(text)
    assert list(summary) == ["dataset", "kind", "fingerprint", "answers", "questions", "questions_with_reference",
                             "scale", "cv", "grader_version", "feature_version", "model", "config", "dimensions"]
    assert summary["scale"] == {"min": 1.0, "max": 4.0, "type": "ordinal", "step": 1.0}
    assert (summary["answers"], summary["questions"], summary["kind"]) == (12, 2, "answer_folder")
    d = summary["dimensions"]["overall"]
    assert list(d) == [*RATER_KEYS, "by_variant", "models_chosen", "raters"]  # no official splits
    assert list(d["metrics"]) == ["n", "adjacent", "alpha_interval", "alpha_ordinal", "bias", "exact", "mae",
                                  "pearson", "qwk", "qwk_by_question", "rmse", "smd", "spearman"]
    assert d["metrics"]["n"] == 12.0 and d["metrics"]["qwk"] == -0.3053 and d["metrics"]["rmse"] == 1.4101
    assert d["intervals"] == {"qwk": [-0.4051, 0.0117], "pearson": [-0.8322, -0.0217], "rmse": [1.2319, 1.584]}
    assert d["models_chosen"] == {"reference+neighbours": {"constant": 3}}
    assert list(d["raters"]) == ["items", "raters", "pairs", "human_alpha"]
    ann = d["raters"]["raters"]["ann"]
    assert list(ann) == [*RATER_KEYS, "kind", "reference"] and "prmse" not in ann["metrics"]
    assert ann["intervals"] == {"qwk": [None, None], "pearson": [None, None], "rmse": [None, None]}  # no bootstrap
    assert list(d["raters"]["raters"]["grader"]["metrics"])[-1] == "prmse"


def test_calibrate_prints_the_table(tmp_path):
    res = _run("calibrate", DATA / "short_answer", "--cv", 3, "--predictions", tmp_path / "p.csv",
               "--backend", "hashing", "--no-cache", "--bootstrap", 0, "--group-by", "question")
    assert res.exit_code == 0, res.output
    assert "fixture: 56 answers, 4 questions" in res.stdout and "out-of-fold" in res.stdout
    assert "split test_unseen_questions" in res.stdout


def test_calibrate_bad_dataset_exit_2(tmp_path):
    res = _run("calibrate", tmp_path, "--predictions", tmp_path / "p.csv", "--backend", "hashing")
    assert res.exit_code == 2 and "not a dataset" in res.stderr and "Traceback" not in res.output


def test_grade_with_calibration_fills_grades(calibrated, tmp_path):
    answers = sorted(str(p) for p in (DATA / "answer_folder" / "answers").glob("cats_*.md"))
    res = _run("grade", *answers, "--rubric", DATA / "tiny_rubric.yaml", "--backend", "hashing", "--no-cache",
               "--calibration", calibrated / "cal.json", "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "cats_1.json").read_text())
    assert report["overall"]["grade"] in (1.0, 2.0, 3.0, 4.0) and report["overall"]["scale"] == "1-4 ordinal"
    assert report["dimensions"]["framing"]["grade"] in (1.0, 2.0, 3.0, 4.0)
    values = report["calibration"]["values"]
    assert abs(values["overall"] - report["overall"]["grade"]) <= 0.5
    with open(tmp_path / "out" / "summary.csv", newline="") as f:
        assert all(row["grade"] for row in csv.DictReader(f))


def test_grade_refuses_a_calibration_from_another_config(calibrated, tmp_path):
    answer = DATA / "answer_folder" / "answers" / "cats_1.md"
    res = _run("grade", answer, "--backend", "hashing", "--no-cache", "--calibration", calibrated / "cal.json",
               "--out", tmp_path / "out")  # default rubric, not the tiny one it was fitted with
    assert res.exit_code == 2 and "another rubric or configuration" in res.stderr


def test_short_answer_calibration_carries_its_rubric(tmp_path):
    res = _run("calibrate", DATA / "short_answer", "--cv", 3, "--predictions", tmp_path / "p.csv", "--model",
               tmp_path / "cal.json", "--backend", "hashing", "--no-cache", "--bootstrap", 0, "--quiet")
    assert res.exit_code == 0, res.output
    (tmp_path / "a.txt").write_text("---\nquestion: q2\n---\nThe ice melts because it absorbs heat.\n")
    res = _run("grade", tmp_path / "a.txt", "--backend", "hashing", "--no-cache", "--calibration",
               tmp_path / "cal.json", "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "a.json").read_text())
    assert report["answer"]["question_id"] == "q2" and 0 <= report["overall"]["grade"] <= 1


def _ratings(tmp_path, rows):
    p = tmp_path / "ratings.csv"
    with open(p, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "rater", "dimension", "grade"])
        w.writerows(rows)
    return p


RATINGS = [(f"<script>i{i}", r, "overall", g) for i, (a, b, m) in enumerate(
    [(1, 1, 1), (2, 2, 3), (3, 3, 3), (4, 3, 4), (2, 2, 2), (3, 4, 3), (1, 2, 1), (4, 4, 3)])
    for r, g in (("ann", a), ("bob", b), ("grader", m))]


def test_agree_table_json_html_and_gate(tmp_path):
    path = _ratings(tmp_path, RATINGS)
    res = _run("agree", path, "--machine", "grader", "--out", tmp_path / "o", "--bootstrap", 50)
    assert res.exit_code == 0, res.output
    assert "grader" in res.stdout and "qwk" in res.stdout
    report = json.loads((tmp_path / "o" / "agreement.json").read_text())
    d = report["dimensions"]["overall"]
    assert d["raters"]["grader"]["kind"] == "machine" and "prmse" in d["raters"]["grader"]["metrics"]
    assert "human_alpha" in d and "ann ~ bob" in d["pairs"]
    page = (tmp_path / "o" / "agreement.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;i1" in page
    res = _run("agree", path, "--machine", "grader", "--out", tmp_path / "o", "--fail-under", "qwk=0.99")
    assert res.exit_code == 1 and "FAIL overall: grader qwk" in res.stdout
    res = _run("agree", path, "--machine", "grader", "--out", tmp_path / "o", "--fail-under", "rmse=5")
    assert res.exit_code == 0


AGREE_STDOUT = """\
{path}: scale 1-4 ordinal; machines: grader

[overall] 8 items; human alpha interval 0.843, ordinal 0.859
        n                qwk            pearson  spearman               rmse    mae  exact    adj  α int  α ord  prmse    bias     smd
ann     8  0.833 [0.45,0.94]  0.845 [0.53,0.96]     0.861  0.612 [0.35,0.87]  0.375  0.625  1.000  0.843  0.859      –  -0.125  -0.118
bob     8  0.833 [0.45,0.94]  0.845 [0.53,0.96]     0.861  0.612 [0.35,0.87]  0.375  0.625  1.000  0.843  0.859      –   0.125   0.105
grader  8  0.831 [0.43,0.96]  0.832 [0.47,0.98]     0.814  0.586 [0.26,0.83]  0.438  0.562  1.000  0.841  0.793  0.769  -0.062  -0.058
pairs: ann ~ bob qwk 0.833 r 0.845; ann ~ grader qwk 0.889 r 0.894; bob ~ grader qwk 0.688 r 0.693
"""  # noqa: E501


def test_agree_json_and_text_keep_their_shape_and_values(tmp_path):
    """Key order, absent keys, nulls and numbers as the dict-based report wrote them."""
    path = _ratings(tmp_path, RATINGS)
    res = _run("agree", path, "--machine", "grader", "--out", tmp_path / "o", "--bootstrap", 50)
    assert res.exit_code == 0 and res.stdout == AGREE_STDOUT.format(path=path)
    text = (tmp_path / "o" / "agreement.json").read_text()
    assert to_json(AgreementReport.model_validate_json(text)) == text
    report = json.loads(text)
    assert list(report) == ["source", "scale", "machines", "dimensions", "failures"] and report["failures"] == []
    d = report["dimensions"]["overall"]
    assert list(d) == ["items", "raters", "pairs", "human_alpha"]
    assert d["human_alpha"] == {"interval": 0.8432, "ordinal": 0.8585}
    assert d["pairs"]["ann ~ grader"] == {"n": 8.0, "qwk": 0.8889, "pearson": 0.8944, "exact": 0.75, "adjacent": 1.0}
    g = d["raters"]["grader"]
    assert list(g) == [*RATER_KEYS, "kind", "reference"]
    assert list(g["metrics"].items()) == [
        ("n", 8.0), ("adjacent", 1.0), ("alpha_interval", 0.8412), ("alpha_ordinal", 0.7929), ("bias", -0.0625),
        ("exact", 0.5625), ("mae", 0.4375), ("pearson", 0.8324), ("qwk", 0.8308), ("rmse", 0.5863), ("smd", -0.0577),
        ("spearman", 0.8143), ("prmse", 0.7686)]
    assert g["intervals"] == {"qwk": [0.4335, 0.965], "pearson": [0.4713, 0.9849], "rmse": [0.2626, 0.8292]}
    assert g["bands"][2] == {"band": "high", "n": 4, "mae": 0.5, "bias": -0.25, "exact": 0.5}
    assert g["confusion"] == {"labels": [1.0, 2.0, 3.0, 4.0],
                              "rows_human_columns_rater": [[3, 0, 0, 0], [1, 2, 2, 0], [0, 0, 3, 1], [0, 0, 3, 1]]}
    assert g["largest_disagreements"][:2] == [{"item": "<script>i1", "human": 2.0, "rater": 3.0},
                                              {"item": "<script>i7", "human": 4.0, "rater": 3.0}]
    assert (g["kind"], g["reference"]) == ("machine", "human consensus")
    # a constant rater: undefined metrics are null, never dropped and never NaN
    path = _ratings(tmp_path, RATINGS + [(f"<script>i{i}", "cat", "overall", 2) for i in range(8)])
    res = _run("agree", path, "--machine", "grader", "--out", tmp_path / "c", "--bootstrap", 50)
    assert res.exit_code == 0 and "cat     8  0.000 [0.00,0.00]                  –         –  1.159" in res.stdout
    cat = json.loads((tmp_path / "c" / "agreement.json").read_text())["dimensions"]["overall"]["raters"]["cat"]
    assert cat["metrics"]["pearson"] is None and cat["metrics"]["spearman"] is None
    assert cat["intervals"]["pearson"] == [None, None] and cat["intervals"]["qwk"] == [0.0, 0.0]


def test_agree_usage_errors_exit_2(tmp_path):
    path = _ratings(tmp_path, RATINGS)
    for args, needle in [(["--fail-under", "kappa=0.5"], "unknown agreement metric 'kappa'"),
                         (["--fail-under", "qwk"], "expected METRIC=NUMBER"),
                         (["--machine", "robot"], "not in the file")]:
        res = _run("agree", path, "--out", tmp_path / "o", *args)
        assert res.exit_code == 2 and needle in res.stderr and "Traceback" not in res.output, args
        assert res.stderr.startswith("grader agree: error: ") and res.stderr.count("\n") == 1, res.stderr
    res = _run("agree", tmp_path / "missing.csv", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "file not found" in res.stderr


def test_agree_treats_a_rater_above_two_humans_and_one_below_alike(tmp_path):
    """Issue 18: copy_high (= h2) sits half a grade above the humans' mean on every item, copy_low (= h1) half a
    grade below; rounding the mean half up gave them QWK 1.0 and 0.5."""
    h1, h2 = [1, 2, 3, 2], [2, 3, 4, 3]
    rows = [(f"i{i}", rater, "overall", grades[i]) for rater, grades in
            (("h1", h1), ("h2", h2), ("copy_low", h1), ("copy_high", h2)) for i in range(4)]
    res = _run("agree", _ratings(tmp_path, rows), "--machine", "copy_low", "--machine", "copy_high",
               "--out", tmp_path / "o", "--bootstrap", 50)
    assert res.exit_code == 0, res.output
    raters = json.loads((tmp_path / "o" / "agreement.json").read_text())["dimensions"]["overall"]["raters"]
    low, high = raters["copy_low"]["metrics"], raters["copy_high"]["metrics"]
    assert (low["qwk"], low["exact"], low["adjacent"]) == (high["qwk"], high["exact"], high["adjacent"]) == \
        (0.8, 0.5, 1.0)
    assert low["alpha_ordinal"] == high["alpha_ordinal"] and low["bias"] == -high["bias"] == -0.5
    table = {line.split()[0]: line.split() for line in res.stdout.splitlines() if line.startswith("copy_")}
    assert table["copy_low"][1:-2] == table["copy_high"][1:-2]  # every column but bias and SMD


def test_agree_na_or_empty_grade_leaves_the_item_out_for_that_rater_only(tmp_path):
    rows = [row for row in RATINGS if row[:2] != ("<script>i0", "bob")]
    res = _run("agree", _ratings(tmp_path, rows + [("<script>i0", "bob", "overall", "NA")]), "--machine", "grader",
               "--out", tmp_path / "na", "--bootstrap", 0)
    assert res.exit_code == 0, res.output
    raters = json.loads((tmp_path / "na" / "agreement.json").read_text())["dimensions"]["overall"]["raters"]
    # ann and the machine still have item 0 (graded by ann); bob has 7 items, ann against bob 7
    assert (raters["ann"]["metrics"]["n"], raters["bob"]["metrics"]["n"], raters["grader"]["metrics"]["n"]) == \
        (7.0, 7.0, 8.0)
    res = _run("agree", _ratings(tmp_path, rows + [("<script>i0", "bob", "overall", "")]), "--machine", "grader",
               "--out", tmp_path / "empty", "--bootstrap", 0)
    assert res.exit_code == 0
    assert (tmp_path / "empty" / "agreement.json").read_bytes() == (tmp_path / "na" / "agreement.json").read_bytes()


HEADER = "item_id,rater,dimension,grade\n"
TWO_HUMANS = "a,ann,d,1\na,bob,d,2\nb,ann,d,3\nb,bob,d,3\n"


@pytest.mark.parametrize("name, content, args, message", [
    ("missing", None, [], "file not found"),
    ("folder", "dir", [], "a folder, not a ratings CSV file (expected item_id,rater,dimension,grade; answer_id"),
    ("empty", "", [], "empty file: no header line (expected item_id,rater,dimension,grade"),
    ("header_only", HEADER, [], "no ratings: only a header"),
    ("all_na", HEADER + "a,ann,d,NA\nb,ann,d,\n", [], "no ratings: every grade is empty or NA"),
    ("columns", "item,rater,dimension,grade\na,ann,d,1\n", [],
     "missing column(s) item_id; the header is item,rater,dimension,grade (expected"),
    ("not_a_number", HEADER + TWO_HUMANS + "c,ann,d,N/A\n", [],
     "line 6: grade 'N/A' is not a number (a grade is a number; leave the cell empty or write NA"),
    ("infinite", HEADER + TWO_HUMANS + "c,ann,d,inf\n", [], "line 6: grade 'inf' is not a finite number"),
    ("twice", HEADER + TWO_HUMANS + "a,ann,d,2\n", [], "line 6: rater 'ann' rated 'a' / d twice"),
    ("extra_field", HEADER + "a,ann,d,1,x\n", [], "line 2: more fields than the header has"),
    ("malformed", HEADER + '"a,ann,d,1\n', [], "line 2: malformed CSV"),
    ("binary", b"\x89PNG\x00\x00", [], "binary file (contains NUL bytes), not a ratings CSV"),
    ("latin1", (HEADER + "a,ann,d,1\nb,jos\xe9,d,2\n").encode("latin-1"), [], "not UTF-8 text"),
    ("one_grade", HEADER + "a,ann,d,2\nb,bob,d,2\n", [],
     "every human grade is 2: agreement needs two or more different human grades to infer the scale"),
    ("unknown_machine", HEADER + TWO_HUMANS, ["--machine", "robot"],
     "--machine names rater(s) not in the file: robot"),
])
def test_agree_errors_name_the_file_and_speak_of_ratings(tmp_path, name, content, args, message):
    path = tmp_path / f"{name}.csv"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    res = _run("agree", path, "--out", tmp_path / "o", *args)
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert res.exit_code == 2 and len(lines) == 1 and "Traceback" not in res.output, res.output
    assert lines[0].startswith(f"grader agree: error: {path}: {message}"), lines[0]
    assert not any(word in lines[0] for word in ("calibrat", "dataset", "not an answer")), lines[0]
    assert not (tmp_path / "o").exists()

"""`grader calibrate`, `grade --calibration` and `grader agree` through the CLI (model-free backend)."""

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

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


def test_agree_usage_errors_exit_2(tmp_path):
    path = _ratings(tmp_path, RATINGS)
    for args, needle in [(["--fail-under", "kappa=0.5"], "unknown agreement metric 'kappa'"),
                         (["--fail-under", "qwk"], "expected METRIC=NUMBER"),
                         (["--machine", "robot"], "not in the file")]:
        res = _run("agree", path, "--out", tmp_path / "o", *args)
        assert res.exit_code == 2 and needle in res.stderr and "Traceback" not in res.output, args
    res = _run("agree", tmp_path / "missing.csv", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "file not found" in res.stderr

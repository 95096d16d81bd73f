"""summary.csv: a row per answer, failures included."""

import csv
import io

from grader.reports import write_reports

from helpers import GOOD


def test_summary_csv_has_a_row_per_answer_including_failures(tmp_path, grade_files):
    result = grade_files({"a.md": GOOD, "b.md": b""})
    write_reports(result, ["csv"], tmp_path / "out")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "summary.csv").read_text())))
    assert list(rows[0]) == ["file", "report", "question", "question_source", "overall", "framing",
                             "building", "flags", "grade", "language", "english_share", "error"]
    assert rows[0]["report"] == "a" and float(rows[0]["overall"]) == result.reports[0].overall.score
    assert rows[1]["overall"] == "" and "answer is empty" in rows[1]["error"]

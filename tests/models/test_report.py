"""The report (the JSON contract): its leading fields, schema version, sections and round trip."""

import json

from grader.models import Report

from helpers import GOOD


def test_report_contract_fields(tmp_path, grade_files):
    report = grade_files({"a.md": GOOD}).reports[0]
    data = json.loads(report.model_dump_json())
    assert list(data)[:3] == ["schema_version", "grader_version", "model"]
    assert data["schema_version"] == "3"
    assert data["answer"]["question_id"] == "cats" and data["answer"]["question_source"] == "front_matter"
    assert (data["answer"]["language"], data["answer"]["english_share"]) == ("en", 1.0)
    assert [s["stage"] for s in data["sections"]] == ["clarify", "model", "monitoring"]
    mon = data["sections"][2]
    assert mon["method"] == "absent" and mon["start"] is None and mon["words"] == 0
    clarify = data["sections"][0]
    text = (tmp_path / "in" / "a.md").read_text().split("---\n", 2)[2]
    assert text[clarify["start"]:clarify["end"]] == "Ask how many photos arrive per day."
    assert 0 <= data["overall"]["score"] <= 1 and set(data["dimensions"]) == {"framing", "building"}
    assert Report.model_validate_json(report.model_dump_json()) == report

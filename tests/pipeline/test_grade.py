import csv
import io
import json
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.models import BatchResult, Report
from grader.run.batch import grade_paths
from grader.reports import FORMATS, report_names, write_reports
from grader.reports.markdown import esc

GOOD = "---\nquestion: cats\n---\n## Clarify\nAsk how many photos arrive per day.\n\n## Model\nUse a CNN.\n"


def _batch(tmp_path, toolkit, rubric, config, files):
    for name, content in files.items():
        p = tmp_path / "in" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return grade_paths([str(tmp_path / "in")], rubric, config, toolkit)


def test_one_bad_file_does_not_lose_the_others(tmp_path, toolkit, tiny_rubric, config):
    result = _batch(tmp_path, toolkit, tiny_rubric, config, {
        "a.md": GOOD, "b.md": b"\xff\xfe\xfa", "c.md": "---\nquestion: dogs\n---\ntext\n",
        "d.md": "```\ncode only\n```\n", "e.md": GOOD.replace("cats", "trains")})
    assert [Path(r.answer.path).name for r in result.reports] == ["a.md", "e.md"]
    msgs = {Path(f.path).name: f.message for f in result.failures}
    assert set(msgs) == {"b.md", "c.md", "d.md"}
    assert "unknown question id 'dogs'" in msgs["c.md"] and "no prose to grade" in msgs["d.md"]


def test_report_contract_fields(tmp_path, toolkit, tiny_rubric, config):
    report = _batch(tmp_path, toolkit, tiny_rubric, config, {"a.md": GOOD}).reports[0]
    data = json.loads(report.model_dump_json())
    assert list(data)[:3] == ["schema_version", "grader_version", "model"]
    assert data["schema_version"] == "1"
    assert data["answer"]["question_id"] == "cats" and data["answer"]["question_source"] == "front_matter"
    assert [s["stage"] for s in data["sections"]] == ["clarify", "model", "monitoring"]
    mon = data["sections"][2]
    assert mon["method"] == "absent" and mon["start"] is None and mon["words"] == 0
    clarify = data["sections"][0]
    text = (tmp_path / "in" / "a.md").read_text().split("---\n", 2)[2]
    assert text[clarify["start"]:clarify["end"]] == "Ask how many photos arrive per day."
    assert 0 <= data["overall"]["score"] <= 1 and set(data["dimensions"]) == {"framing", "building"}
    assert Report.model_validate_json(report.model_dump_json()) == report


def test_same_input_same_bytes_whatever_the_order(tmp_path, toolkit, tiny_rubric, config):
    files = {"a.md": GOOD, "b.md": GOOD.replace("CNN", "gradient boosted trees"), "c.md": b""}
    _batch(tmp_path, toolkit, tiny_rubric, config, files)
    paths = [str(tmp_path / "in" / n) for n in files]
    out1, out2 = tmp_path / "o1", tmp_path / "o2"
    write_reports(grade_paths(paths, tiny_rubric, config, toolkit), FORMATS.names(), out1)
    write_reports(grade_paths(paths[::-1], tiny_rubric, config, toolkit), FORMATS.names(), out2)
    names = sorted(p.name for p in out1.iterdir())
    assert names == sorted(p.name for p in out2.iterdir()) and len(names) == 10
    for name in names:
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name


def test_report_names_are_safe_and_unique(tmp_path, toolkit, tiny_rubric, config):
    result = _batch(tmp_path, toolkit, tiny_rubric, config, {"x/a b.md": GOOD, "y/a b.md": GOOD,
                                                              "..md": GOOD})
    names = report_names(result.reports)
    assert sorted(names.values()) == ["a_b", "a_b-2", "answer"]


def test_reports_cannot_escape_the_output_folder(tmp_path, toolkit, tiny_rubric, config):
    result = _batch(tmp_path, toolkit, tiny_rubric, config, {"a.md": GOOD})
    evil = result.reports[0].model_copy(update={"answer": result.reports[0].answer.model_copy(
        update={"path": "../../../evil.md"})})
    out = tmp_path / "out"
    written = write_reports(BatchResult(reports=[evil], failures=[]), ["json", "md"], out)
    assert all(p.parent == out.resolve() or p.parent == out for p in written)
    assert not (tmp_path / "evil.json").exists()


def test_summary_csv_has_a_row_per_answer_including_failures(tmp_path, toolkit, tiny_rubric, config):
    result = _batch(tmp_path, toolkit, tiny_rubric, config, {"a.md": GOOD, "b.md": b""})
    write_reports(result, ["csv"], tmp_path / "out")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "summary.csv").read_text())))
    assert list(rows[0]) == ["file", "report", "question", "question_source", "overall", "framing",
                             "building", "flags", "grade", "error"]
    assert rows[0]["report"] == "a" and float(rows[0]["overall"]) == result.reports[0].overall.score
    assert rows[1]["overall"] == "" and "answer is empty" in rows[1]["error"]


def test_markdown_escapes_answer_text(tmp_path, toolkit, tiny_rubric, config):
    assert esc("<script>alert(1)</script> [x](http://e) **b**") == (
        "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\[x\\]\\(http://e\\) \\*\\*b\\*\\*")
    result = _batch(tmp_path, toolkit, tiny_rubric, config,
                    {"a.md": GOOD.replace("## Clarify", "## Clarify <script>x</script>")})
    write_reports(result, ["md"], tmp_path / "out")
    assert "<script>" not in (tmp_path / "out" / "a.md").read_text()


def test_unwritable_output_folder_is_a_grader_error(tmp_path, toolkit, tiny_rubric, config):
    result = _batch(tmp_path, toolkit, tiny_rubric, config, {"a.md": GOOD})
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GraderError, match="cannot create output folder"):
        write_reports(result, ["json"], blocker / "out")


def test_markdown_lists_detectors_and_mistakes_escaped(tmp_path, toolkit, tiny_rubric, config):
    from grader.models import DetectorHit, MistakeHit
    from grader.reports.markdown import render

    report = _batch(tmp_path, toolkit, tiny_rubric, config, {"a.md": GOOD}).reports[0]
    text = render(report.model_copy(update={
        "detectors": [DetectorHit(id="calibration", hit=True, negated=False, stage=None,
                                  evidence="We calibrate | <b>scores</b>.", start=3, credit=0.7)],
        "mistakes": [MistakeHit(id="no_baseline", evidence="<i>x</i>", source="penalty", deduction=0.08,
                                dimensions=["framing"], advice="Start *simple*.")]}))
    assert "| calibration | ✅ | 0.70 | — | We calibrate \\| &lt;b&gt;scores&lt;/b&gt;. |" in text
    assert "- ⚠️ **no_baseline** (penalty; −8% on framing): &lt;i&gt;x&lt;/i&gt;" in text
    assert "  - Advice: Start \\*simple\\*." in text
    assert "<b>" not in text and "<i>" not in text


def test_one_encode_per_batch_whatever_the_number_of_answers(tmp_path, toolkit, tiny_rubric, config):
    result = _batch(tmp_path, toolkit, tiny_rubric, config, {
        "a.md": GOOD, "b.md": "Ask how many photos arrive per day. Then use a CNN.\n",
        "c.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:09.000\nWe watch the share of cat predictions.\n"})
    assert len(result.reports) == 3 and toolkit.embedder.calls == 1


def test_sections_carry_method_confidence_and_spans(tmp_path, toolkit, tiny_rubric, config):
    text = ("---\nquestion: cats\n---\nHello there.\n\n## Clarify\nAsk how many photos arrive per day.\n\n"
            "## Notes\nUse a convolutional network pretrained on imagenet.\n")
    report = _batch(tmp_path, toolkit, tiny_rubric, config, {"a.md": text}).reports[0]
    by = {s.stage: s for s in report.sections}
    assert (by["clarify"].method, by["clarify"].heading, by["clarify"].confidence) == ("heading", "Clarify", 1.0)
    assert (by["model"].method, by["model"].heading) == ("inferred", None) and 0 < by["model"].confidence <= 1
    assert by["monitoring"].method == "absent" and by["monitoring"].spans == []
    body = text.split("---\n", 2)[2]
    assert [body[a:b] for a, b in by["clarify"].spans] == ["Ask how many photos arrive per day."]
    t = report.time_allocation
    assert t.source == "words" and t.timeline[0].stage is None and t.total_minutes > 0
    assert report.answer.format == "markdown"


def test_a_transcript_is_timed_and_its_question_detected(tmp_path, toolkit, tiny_rubric, config):
    vtt = ("WEBVTT\n\n00:00:00.000 --> 00:01:00.000\n<v Interviewer>Please design a train delay forecaster.</v>\n\n"
           "00:01:00.000 --> 00:04:00.000\n<v Candidate>I ask how far ahead delays must be forecast.</v>\n\n"
           "00:04:00.000 --> 00:10:00.000\n<v Candidate>Gradient boosted trees on timetable and weather "
           "features.</v>\n")
    report = _batch(tmp_path, toolkit, tiny_rubric, config, {"a.vtt": vtt}).reports[0]
    assert (report.answer.question_id, report.answer.question_source, report.answer.format) == (
        "trains", "detected", "vtt")
    t = report.time_allocation
    assert t.source == "timestamps" and t.minutes["clarify"] == 3.0 and t.minutes["model"] == 6.0
    assert [(e.stage, e.start, e.end) for e in t.timeline] == [("clarify", 1.0, 4.0), ("model", 4.0, 10.0)]


def test_an_unknown_question_is_graded_with_the_generic_rubric(tmp_path, toolkit, tiny_rubric, config):
    rubric = tiny_rubric.model_copy(update={"question_detection": tiny_rubric.question_detection.model_copy(
        update={"min_similarity": 0.95})})
    report = _batch(tmp_path, toolkit, rubric, config, {"a.md": "Ask about goals and scale. Choose the model.\n"}
                    ).reports[0]
    assert (report.answer.question_id, report.answer.question_source) == ("generic", "unknown")
    assert report.answer.question_guess in ("cats", "trains") and report.answer.question_similarity < 0.95
    assert report.sections[0].matched_points + report.sections[0].missing_points == ["ask about goals and scale"]
    write_reports(BatchResult(reports=[report], failures=[]), ["md"], tmp_path / "out")
    assert "unknown, graded with the generic stage rubric" in (tmp_path / "out" / "a.md").read_text()

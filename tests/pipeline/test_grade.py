"""The composed pipeline, answer by answer: one encode per batch, sections with their method, confidence and
spans, a timed transcript, the generic rubric for an unknown question (hashing embedder, tiny rubric)."""

from grader.models import BatchResult
from grader.reports import write_reports

from helpers import GOOD


def test_one_encode_per_batch_whatever_the_number_of_answers(grade_files, toolkit):
    result = grade_files({
        "a.md": GOOD, "b.md": "Ask how many photos arrive per day. Then use a CNN.\n",
        "c.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:09.000\nWe watch the share of cat predictions.\n"})
    assert len(result.reports) == 3 and toolkit.embedder.calls == 1


def test_sections_carry_method_confidence_and_spans(grade_files):
    text = ("---\nquestion: cats\n---\nHello there.\n\n## Clarify\nAsk how many photos arrive per day.\n\n"
            "## Notes\nUse a convolutional network pretrained on imagenet.\n")
    report = grade_files({"a.md": text}).reports[0]
    by = {s.stage: s for s in report.sections}
    assert (by["clarify"].method, by["clarify"].heading, by["clarify"].confidence) == ("heading", "Clarify", 1.0)
    assert (by["model"].method, by["model"].heading) == ("inferred", None) and 0 < by["model"].confidence <= 1
    assert by["monitoring"].method == "absent" and by["monitoring"].spans == []
    body = text.split("---\n", 2)[2]
    assert [body[a:b] for a, b in by["clarify"].spans] == ["Ask how many photos arrive per day."]
    t = report.time_allocation
    assert t.source == "words" and t.timeline[0].stage is None and t.total_minutes > 0
    assert report.answer.format == "markdown"


def test_a_transcript_is_timed_and_its_question_detected(grade_files):
    vtt = ("WEBVTT\n\n00:00:00.000 --> 00:01:00.000\n<v Interviewer>Please design a train delay forecaster.</v>\n\n"
           "00:01:00.000 --> 00:04:00.000\n<v Candidate>I ask how far ahead delays must be forecast.</v>\n\n"
           "00:04:00.000 --> 00:10:00.000\n<v Candidate>Gradient boosted trees on timetable and weather "
           "features.</v>\n")
    report = grade_files({"a.vtt": vtt}).reports[0]
    assert (report.answer.question_id, report.answer.question_source, report.answer.format) == (
        "trains", "detected", "vtt")
    t = report.time_allocation
    assert t.source == "timestamps" and t.minutes["clarify"] == 3.0 and t.minutes["model"] == 6.0
    assert [(e.stage, e.start, e.end) for e in t.timeline] == [("clarify", 1.0, 4.0), ("model", 4.0, 10.0)]


def test_an_unknown_question_is_graded_with_the_generic_rubric(tmp_path, grade_files, tiny_rubric):
    rubric = tiny_rubric.model_copy(update={"question_detection": tiny_rubric.question_detection.model_copy(
        update={"min_similarity": 0.95})})
    report = grade_files({"a.md": "Ask about goals and scale. Choose the model.\n"}, rubric=rubric).reports[0]
    assert (report.answer.question_id, report.answer.question_source) == ("generic", "unknown")
    assert report.answer.question_guess in ("cats", "trains") and report.answer.question_similarity < 0.95
    assert report.sections[0].matched_points + report.sections[0].missing_points == ["ask about goals and scale"]
    write_reports(BatchResult(reports=[report], failures=[]), ["md"], tmp_path / "out")
    assert "unknown, graded with the generic stage rubric" in (tmp_path / "out" / "a.md").read_text()

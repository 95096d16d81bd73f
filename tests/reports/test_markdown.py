"""The Markdown reports: answer text escaped, detectors and mistakes listed, and summary.md's status column."""

from grader.models import RunConfig
from grader.reports import write_reports
from grader.reports.markdown import esc

from helpers import GOOD


def test_markdown_escapes_answer_text(tmp_path, grade_files):
    assert esc("<script>alert(1)</script> [x](http://e) **b**") == (
        "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\[x\\]\\(http://e\\) \\*\\*b\\*\\*")
    result = grade_files({"a.md": GOOD.replace("## Clarify", "## Clarify <script>x</script>")})
    write_reports(result, ["md"], tmp_path / "out")
    assert "<script>" not in (tmp_path / "out" / "a.md").read_text()


def test_markdown_lists_detectors_and_mistakes_escaped(grade_files):
    from grader.models import DetectorHit, MistakeHit
    from grader.reports.markdown import render

    report = grade_files({"a.md": GOOD}).reports[0]
    text = render(report.model_copy(update={
        "detectors": [DetectorHit(id="calibration", hit=True, negated=False, stage=None,
                                  evidence="We calibrate | <b>scores</b>.", start=3, credit=0.7)],
        "mistakes": [MistakeHit(id="no_baseline", evidence="<i>x</i>", source="penalty", deduction=0.08,
                                dimensions=["framing"], advice="Start *simple*.")]}))
    assert "| calibration | ✅ | 0.70 | — | We calibrate \\| &lt;b&gt;scores&lt;/b&gt;. |" in text
    assert "- ⚠️ **no_baseline** (penalty; −8% on framing): &lt;i&gt;x&lt;/i&gt;" in text
    assert "  - Advice: Start \\*simple\\*." in text
    assert "<b>" not in text and "<i>" not in text
    assert "What each concept means" not in text  # no description, no spec list


def test_markdown_shows_each_listed_concepts_description_escaped(grade_files):
    from grader.models import DetectorHit
    from grader.reports.markdown import render

    report = grade_files({"a.md": GOOD}).reports[0]
    text = render(report.model_copy(update={"detectors": [
        DetectorHit(id="calibration", hit=True, negated=False, stage=None, evidence="We calibrate.", start=3,
                    description="What counts: <b>probabilities</b> (rates). Counts: 'x'. Not: 'y'."),
        DetectorHit(id="drift", hit=False, negated=True, stage=None, evidence="No drift.", start=9)]}))
    table_end = text.index("| drift |")
    spec = text.index("What each concept means (the rubric's spec):")
    assert table_end < spec < text.index("## Evidence")
    assert ("- **calibration**: What counts: &lt;b&gt;probabilities&lt;/b&gt; \\(rates\\). Counts: 'x'. Not: 'y'."
            in text)
    assert "- **drift**" not in text


def test_summary_md_shows_pass_and_fail_with_the_reason(grade_files, tmp_path):
    result = grade_files({"a.md": GOOD, "b.md": GOOD.replace("Use a CNN.", "Use a CNN with attention.")})
    top = max(r.overall.score for r in result.reports)
    config = RunConfig(fail_under=top)  # the best answer meets it; the other falls under it
    write_reports(result, ["md"], tmp_path / "out", config)
    text = (tmp_path / "out" / "summary.md").read_text()
    assert f"1 under {top:g}." in text and "| status |" in text
    assert text.count("| pass |") == 1 and text.count("| fail: overall ") == 1
    write_reports(result, ["md"], tmp_path / "plain", RunConfig())
    assert "status" not in (tmp_path / "plain" / "summary.md").read_text()

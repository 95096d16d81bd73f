"""The HTML reports without a browser: self-contained, escaped, generic over detector and mistake fields.
tests/test_browser.py checks the same pages in a real headless Chromium."""

import base64
import hashlib
import re

from grader.models import BatchResult, DetectorHit, MistakeHit, RunConfig
from grader.reports import write_reports
from grader.reports.html_report import render, render_index

from helpers import GOOD

# Markup reaches the report through inline code (headings, sentences) and through HTML entities.
EVIL = ("---\nquestion: cats\n---\n## Clarify `<script>window.pwned=1</script>`\n"
        "Ask how many photos arrive per day `<img src=x onerror=\"window.pwned=2\">` in all.\n\n"
        "## Model\nUse a CNN &lt;script&gt;window.pwned=3&lt;/script&gt; here.\n")


def _no_external_asset(page: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:|//)""", page, re.IGNORECASE)
    assert "<link" not in page and "url(" not in page and "@import" not in page


def test_answer_page_is_self_contained_and_script_free(grade_files):
    report = grade_files({"a.md": EVIL}).reports[0]
    page = render(report)
    _no_external_asset(page)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "Clarify &lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;window.pwned=2&quot;&gt;" in page  # evidence of a matched point
    assert "default-src 'none'" in page and "script-src" not in page


def test_answer_page_has_the_charts_and_every_stage(grade_files):
    report = grade_files({"a.md": GOOD}).reports[0]
    page = render(report)
    bars = re.findall(r'<rect class="bar" data-name="(\w+)" data-score="([\d.]+)"', page)
    assert bars == [(name, f"{d.score:.4f}") for name, d in report.dimensions.items()]
    segments = re.findall(r'<rect class="segment" data-stage="(\w+)"', page)
    plan_stages = [s for s, m in report.time_allocation.plan.items() if m > 0]
    answered = [s for s, m in report.time_allocation.minutes.items() if m > 0]
    assert segments == plan_stages + answered
    assert re.findall(r'<article class="stage" data-stage="(\w+)"', page) == [s.stage for s in report.sections]
    for s in report.sections:
        for point in s.matched_points + s.missing_points:
            assert point in page


def test_detectors_and_mistakes_render_from_their_fields(grade_files):
    report = grade_files({"a.md": GOOD}).reports[0]

    class AdvisedMistake(MistakeHit):  # a field another branch may add: it must show up untouched
        advice: str

    report = report.model_copy(update={
        "detectors": [DetectorHit(id="calibration", hit=True, negated=False, stage="model",
                                  evidence="We <b>calibrate</b> the scores.", start=12),
                      DetectorHit(id="drift", hit=False, negated=True, stage=None, evidence="", start=0)],
        "mistakes": [AdvisedMistake(id="no_baseline", evidence="Jump straight to a transformer.",
                                    advice="Start with a simple baseline & compare.")]})
    page = render(report)
    assert "<mark>We &lt;b&gt;calibrate&lt;/b&gt; the scores.</mark>" in page
    assert '<tr class="off">' in page  # the detector that did not fire is greyed out
    assert "<th scope=\"col\">advice</th>" in page and "Start with a simple baseline &amp; compare." in page
    assert "<mark>Jump straight to a transformer.</mark>" in page


def test_a_detector_description_folds_under_its_id_escaped(grade_files):
    report = grade_files({"a.md": GOOD}).reports[0]
    report = report.model_copy(update={"detectors": [
        DetectorHit(id="calibration", hit=True, negated=False, stage="model", evidence="We calibrate.", start=12,
                    description="What counts: <b>rates</b> & \"odds\". Counts: 'x'. Not: 'y'."),
        DetectorHit(id="drift", hit=False, negated=True, stage=None, evidence="", start=0)]})
    page = render(report)
    assert ('<td><details class="spec"><summary>calibration</summary><p>What counts: &lt;b&gt;rates&lt;/b&gt; '
            "&amp; &quot;odds&quot;. Counts: &#x27;x&#x27;. Not: &#x27;y&#x27;.</p></details></td>") in page
    assert "<td>drift</td>" in page  # no description: the plain id
    assert '<th scope="col">description</th>' not in page


def test_index_table_links_charts_and_status(tmp_path, grade_files):
    result = grade_files({"a.md": GOOD, "sub/b.md": GOOD.replace("CNN", "convolutional network"),
                          "bad.md": b"\xff"})
    config = RunConfig(fail_under=0.99)
    written = write_reports(result, ["html"], tmp_path / "out", config)
    assert sorted(p.name for p in written) == ["a.html", "b.html", "index.html"]
    page = (tmp_path / "out" / "index.html").read_text()
    _no_external_asset(page)
    assert re.findall(r'<a href="([^"]+)">', page) == ["a.html", "b.html"]
    figures = re.findall(r'<figure data-dimension="(\w+)">', page)
    assert figures == ["overall", "framing", "building"]
    counts = [sum(map(int, re.findall(r'data-count="(\d+)"', chunk)))
              for chunk in page.split("<figure")[1:]]
    assert counts == [2, 2, 2]
    assert page.count('<span class="badge fail">fail</span>') == 2 and "not UTF-8" in page
    # the one inline script is allowed by its hash, and nothing else is
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page and page.count("<script") == 1


def test_index_without_thresholds_has_no_status_column(grade_files):
    result = grade_files({"a.md": GOOD})
    from grader.reports import BatchContext, report_names

    page = render_index(result, BatchContext(names=report_names(result.reports), config=RunConfig()))
    body = page.split("</style>")[1]
    assert ">status<" not in body and "badge" not in body
    empty = render_index(BatchResult(reports=[], failures=[]), BatchContext(names={}, config=RunConfig()))
    assert "0 graded, 0 not graded" in empty and "<script" not in empty

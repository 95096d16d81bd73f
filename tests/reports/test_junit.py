"""junit.xml: one test case per answer, failures under the thresholds, inputs not graded as errors."""

import xml.etree.ElementTree as ET

import xmlschema

from grader.models import BatchResult, InputFailure, RunConfig
from grader.reports import write_reports

from helpers import DATA, GOOD, ROOT

# Jenkins xUnit's junit-10.xsd, byte for byte as pytest ships it (testing/example_scripts/junit-10.xsd).
JUNIT_XSD = DATA / "junit-10.xsd"

STRONG = ("---\nquestion: cats\n---\n## Clarify\nAsk how many photos arrive per day.\n\n## Model\n"
          "Use a convolutional network pretrained on imagenet. Augment photos with flips and crops.\n\n"
          "## Monitoring\nWatch the share of cat predictions for drift.\n")


def _junit(tmp_path, result, config):
    write_reports(result, ["junit"], tmp_path / "out", config)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml"]
    return ET.parse(tmp_path / "out" / "junit.xml").getroot()


def test_one_case_per_answer_all_pass_without_thresholds(tmp_path, grade_files):
    result = grade_files({"a.md": GOOD, "b.md": STRONG})
    root = _junit(tmp_path, result, RunConfig())
    suite = root.find("testsuite")
    assert root.attrib == {"name": "answer-grader", "tests": "2", "failures": "0", "errors": "0"}
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r.answer.path for r in result.reports]
    assert all(c.get("classname") == "answer-grader.cats" for c in cases)
    assert suite.find("properties") is None and suite.findall(".//failure") == []
    assert "overall " in cases[0].find("system-out").text


def test_failure_under_threshold_names_the_weakest_dimensions(tmp_path, grade_files):
    result = grade_files({"a.md": GOOD, "b.md": STRONG})
    weak, strong = sorted(result.reports, key=lambda r: r.overall.score)
    assert weak.overall.score < strong.overall.score
    cut = (weak.overall.score + strong.overall.score) / 2
    root = _junit(tmp_path, result, RunConfig(fail_under=cut, fail_under_dimension={"framing": 0.0}))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    failure = cases[weak.answer.path].find("failure")
    assert cases[strong.answer.path].find("failure") is None
    low = min(weak.dimensions, key=lambda d: (weak.dimensions[d].score, d))
    assert failure.get("type") == "threshold"
    assert failure.get("message").startswith(f"overall {weak.overall.score:.2f} under {cut:g}; weakest: {low} ")
    assert root.get("failures") == "1"
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props == {"fail_under": f"{cut:g}", "fail_under_dimension.framing": "0"}


def test_inputs_not_graded_are_errors_and_xml_stays_valid(tmp_path, grade_files):
    result = grade_files({"a.md": GOOD, "empty.md": ""})
    odd = InputFailure(path="odd\x0b<&>.md", message="bad \x00 byte \"quoted\" <tag>")
    result = BatchResult(reports=result.reports, failures=[*result.failures, odd])
    root = _junit(tmp_path, result, RunConfig())
    errors = {c.get("name"): c.find("error") for c in root.iter("testcase") if c.find("error") is not None}
    assert root.get("errors") == "2" and root.get("tests") == "3"
    assert "answer is empty" in next(e.get("message") for n, e in errors.items() if n.endswith("empty.md"))
    assert errors["odd\ufffd<&>.md"].get("message") == "bad \ufffd byte \"quoted\" <tag>"


def test_valid_against_jenkins_junit_10_xsd(tmp_path, grade_files):
    result = grade_files({"a.md": GOOD, "b.md": STRONG, "c.md": GOOD.replace("CNN", "CNN and drift"),
                          "empty.md": "", "bad.md": b"\xff\xfe\x00broken"})
    scores = sorted(r.overall.score for r in result.reports)
    cut = (scores[0] + scores[-1]) / 2
    config = RunConfig(fail_under=cut, fail_under_dimension={"framing": 0.0})
    write_reports(result, ["junit"], tmp_path / "out", config)
    path = tmp_path / "out" / "junit.xml"
    xmlschema.XMLSchema(JUNIT_XSD).validate(path)
    root = ET.parse(path).getroot()
    assert int(root.get("failures")) >= 1 and root.get("errors") == "2" and root.get("tests") == "5"
    assert any(c.find("failure") is None and c.find("error") is None for c in root.iter("testcase"))
    assert all("file" not in c.attrib for c in root.iter("testcase"))


def test_committed_junit_files_are_valid():
    schema = xmlschema.XMLSchema(JUNIT_XSD)
    for path in (ROOT / "reports" / "examples" / "junit.xml", DATA / "golden_hashing" / "junit.xml"):
        schema.validate(path)


def test_schema_rejects_a_file_attribute_on_testcase():
    """The schema file is the one that rejects what Jenkins rejected (not a looser copy)."""
    bad = ('<testsuites><testsuite name="s" tests="1" failures="0" errors="0">'
           '<testcase name="a.md" file="a.md"/></testsuite></testsuites>')
    assert not xmlschema.XMLSchema(JUNIT_XSD).is_valid(bad)

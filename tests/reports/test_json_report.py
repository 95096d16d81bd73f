"""`grader schema` is the report's JSON Schema, and written reports validate against it."""

import json

import pytest
from jsonschema import Draft202012Validator, ValidationError

from grader.models import DetectorHit, MistakeHit
from grader.reports import write_reports

from helpers import GOOD, ROOT, invoke


@pytest.fixture(scope="module")
def validator():
    res = invoke("schema")
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_written_reports_validate(tmp_path, grade_files, validator):
    result = grade_files({"a.md": GOOD, "b.md": GOOD.replace("cats", "trains")})
    full = result.reports[0].model_copy(update={
        "detectors": [DetectorHit(id="d", hit=True, negated=False, stage=None, evidence="e", start=0)],
        "mistakes": [MistakeHit(id="m", evidence="e")]})
    result = result.model_copy(update={"reports": [full, *result.reports[1:]]})
    write_reports(result, ["json"], tmp_path / "out")
    files = sorted((tmp_path / "out").glob("*.json"))
    assert len(files) == 2
    for f in files:
        validator.validate(json.loads(f.read_text()))


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(surprise=1),                                # unknown field
    lambda d: d["overall"].update(score=1.5),                      # out of range
    lambda d: d["dimensions"]["framing"].pop("evidence"),          # always written, so required
    lambda d: d["sections"][0].update(method="guessed"),           # not one of the methods
    lambda d: d["answer"].update(question_source=None),
])
def test_schema_rejects_what_a_report_never_is(tmp_path, grade_files, validator, mutate):
    data = json.loads(grade_files({"a.md": GOOD}).reports[0].model_dump_json())
    validator.validate(data)
    mutate(data)
    with pytest.raises(ValidationError):
        validator.validate(data)


def test_committed_example_reports_validate(validator):
    files = sorted((ROOT / "reports" / "examples").glob("*.json"))
    assert files
    for f in files:
        validator.validate(json.loads(f.read_text()))

"""The README's promises that can drift: every grade option is documented, and the GitHub Actions example
is valid YAML whose grade command uses real options and formats, uploads reports and gates on a threshold."""

import re
import shlex

import yaml

from grader.cli import KNOWN_FORMATS, grade_command

from helpers import ROOT

README = (ROOT / "README.md").read_text()


def _options() -> set[str]:
    return {opt for p in grade_command.params for opt in p.opts if opt.startswith("--")} - {"--help"}


def test_every_grade_option_is_documented():
    missing = [opt for opt in sorted(_options()) if f"`{opt}" not in README]
    assert not missing


def test_ci_workflow_example():
    block = re.search(r"## In CI \(GitHub Actions\).*?```yaml\n(.*?)```", README, re.DOTALL).group(1)
    workflow = yaml.safe_load(block)
    steps = workflow["jobs"]["grade"]["steps"]
    grade = next(s for s in steps if "grade " in s.get("run", ""))
    args = shlex.split(grade["run"])
    assert args[0].endswith("grade") and args[1] == "answers/*.md"
    assert {a for a in args if a.startswith("--")} <= _options()
    formats = args[args.index("--format") + 1].split(",")
    assert set(formats) <= set(KNOWN_FORMATS) and "junit" in formats
    assert "--fail-under" in args
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"].startswith("reports")

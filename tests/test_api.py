"""The public API: keyword-only, typed results, the same reports as the CLI, and the README's example in step
with it."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import grader
from grader.cli import main
from grader.models import BatchResult

ROOT = Path(__file__).resolve().parent.parent
ANSWER = "examples/answers/q01_weak.md"


@pytest.mark.parametrize("name", ["grade", "calibrate", "agree"])
def test_everything_after_the_first_argument_is_keyword_only(name):
    params = list(inspect.signature(getattr(grader, name)).parameters.values())
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:]), name


def test_grade_gives_the_reports_the_cli_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = grader.grade([ANSWER], config=grader.RunConfig(cache_dir=None), backend="hashing")
    assert isinstance(result, BatchResult) and len(result.reports) == 1 and not result.failures
    out = tmp_path / "out"
    cli = CliRunner().invoke(main, ["grade", ANSWER, "--backend", "hashing", "--no-cache", "--out", str(out),
                                    "--format", "json", "--quiet"])
    assert cli.exit_code == 0, cli.output
    assert (out / "q01_weak.json").read_text() == result.reports[0].model_dump_json(indent=2) + "\n"


def test_grade_refuses_unknown_threshold_names_and_engines_before_loading_a_model(monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(grader.GraderError, match="unknown engine 'spark'"):
        grader.grade([ANSWER], engine="spark", backend="hashing")
    with pytest.raises(grader.GraderError, match="nonsense"):
        grader.grade([ANSWER], config=grader.RunConfig(fail_under_dimension={"nonsense": 0.5}), backend="hashing")


def test_the_readme_example_calls_only_public_names_with_keywords():
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"### Library use\n\n```python\n(.*?)```", readme, re.DOTALL).group(1)
    calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "grader"]
    assert {c.func.attr for c in calls} >= {"grade", "write_reports", "calibrate", "agree", "RunConfig"}
    for c in calls:
        assert c.func.attr in grader.__all__, c.func.attr
        if c.func.attr in ("grade", "calibrate", "agree"):
            assert len(c.args) == 1, f"{c.func.attr}: one positional argument, then keywords"

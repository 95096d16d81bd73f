"""Every command keeps the exit-code contract: 1 means "graded, under a threshold" (grade) or "a gate failed"
(agree), so an unexpected error (a bug) must exit 2 with its traceback and one line, never 1; bad input exits 2
with one line and no traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import grader.api
from grader.cli import main


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


@pytest.mark.parametrize("command, api_name, args", [
    ("agree", "agree", ["ratings.csv"]),
    ("calibrate", "calibrate", ["folder", "--predictions", "p.csv"]),
    ("grade", "grade", ["a.md"]),
])
def test_an_unexpected_error_exits_2_not_1(tmp_path, monkeypatch, command, api_name, args):
    monkeypatch.setattr(grader.api, api_name, _boom)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [command, *args])
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "internal error" in result.output and "RuntimeError: boom" in result.output


@pytest.mark.parametrize("command, args, prefix", [
    ("agree", ["missing.csv"], "grader agree: error: "),
    ("calibrate", ["missing_folder", "--predictions", "p.csv"], "grader calibrate: error: "),
])
def test_bad_input_is_one_line_exit_2_named_after_the_command(tmp_path, monkeypatch, command, args, prefix):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [command, *args])
    assert result.exit_code == 2
    lines = [l for l in result.output.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith(prefix) and "Traceback" not in result.output, result.output

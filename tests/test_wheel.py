"""The wheel: it carries the package data `grade` needs by default (the rubrics and the golden answers the default
rubric names), and, installed outside the checkout, grades an answer from another folder with no `--rubric`.

The wheel is built from a copy of the project's build inputs (pyproject.toml, README.md, grader/), so a build never
leaves build/ or *.egg-info in the checkout, nor picks up a stale build/ from it. No network: --no-index,
--no-build-isolation (setuptools from the venv)."""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import DEFAULT_RUBRIC, EXAMPLES, ROOT, SHORT_ANSWER_RUBRIC, default_rubric_data

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    shutil.copy2(ROOT / "pyproject.toml", src)
    shutil.copy2(ROOT / "README.md", src)
    shutil.copytree(ROOT / "grader", src / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(PIP + ["wheel", ".", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist)],
                   cwd=src, check=True, capture_output=True, timeout=300)
    [whl] = dist.glob("answer_grader-*.whl")
    return whl


def test_the_wheel_carries_the_rubrics_and_the_golden_answers(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    rubrics = "grader/resources/rubrics"
    assert {f"{rubrics}/{DEFAULT_RUBRIC.name}", f"{rubrics}/{SHORT_ANSWER_RUBRIC.name}"} <= names
    golden = {posixpath.normpath(f"{rubrics}/{rel}") for q in default_rubric_data()["questions"]
              for rel in q["golden_answers"]}
    assert len(golden) == 10 and golden <= names


def test_installed_outside_the_checkout_grade_works_with_the_packaged_rubric(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(PIP + ["install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.md").write_bytes(EXAMPLES[0].read_bytes())
    script = ("import sys, grader\n"
              "from grader.inputs.rubric import DEFAULT_RUBRIC\n"
              "print(grader.__file__); print(DEFAULT_RUBRIC)\n"
              "from grader.cli import grade_main\n"
              "sys.argv = ['grade', 'a.md', '--backend', 'hashing', '--no-cache', '--out', 'out']\n"
              "grade_main()\n")
    # -P: the script's folder is not put on sys.path; PYTHONPATH holds only the install (ahead of the venv's
    # site-packages, and of an editable install's finder, which comes last).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {"PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, "-P", "-c", script], cwd=work, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    module, rubric = proc.stdout.splitlines()[:2]
    assert Path(module).is_relative_to(site) and Path(rubric).is_relative_to(site)
    assert not Path(module).is_relative_to(ROOT)
    assert "graded 1 answer(s), 0 not graded" in proc.stderr
    assert sorted(p.name for p in (work / "out").iterdir()) == [
        "a.html", "a.json", "a.md", "index.html", "summary.csv", "summary.md"]
    assert json.loads((work / "out" / "a.json").read_text())["answer"]["path"] == "a.md"

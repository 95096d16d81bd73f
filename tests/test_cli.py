"""The CLI contract: exit codes, one-line errors on stderr, clean stdout. Uses the model-free backend."""

import subprocess
import sys

import pytest

from grader import cli
from grader.cli import KNOWN_BACKENDS, KNOWN_ENGINES, KNOWN_FORMATS, grade_command, main
from grader.inputs.rubric import default_rubric_path, load_rubric

from helpers import (GOOD, GRADE, INTERVIEW_VTT, TINY, TINY_HASHING, invoke, invoke_grade, many_answers,
                     spawn_grade, wait_until_grading, write_files)


@pytest.fixture
def run(tmp_path):
    """`grade ARGS` (tiny rubric, hashing backend, cache and reports under tmp_path), or `grader ARGS` with
    command=main."""
    def _run(*args, command=grade_command):
        if command is grade_command:
            return invoke_grade(*args, "--cache-dir", tmp_path / "cache", "--out", tmp_path / "out")
        return invoke(*args)
    return _run


def test_all_graded_exit_0_and_reports_written(tmp_path, run):
    res = run(*write_files(tmp_path, {"a.md": GOOD}))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a.html", "a.json", "a.md", "index.html", "summary.csv", "summary.md"]
    assert "graded 1 answer(s), 0 not graded" in res.stderr and res.stdout == ""


def test_under_threshold_exit_1(tmp_path, run):
    res = run(*write_files(tmp_path, {"a.md": GOOD}), "--fail-under", "0.99")
    assert res.exit_code == 1 and "1 under 0.99" in res.stderr


def test_bad_input_exit_2_others_still_graded(tmp_path, run):
    paths = write_files(tmp_path, {"a.md": GOOD, "empty.md": ""})
    res = run(*paths, str(tmp_path / "missing.md"), "--fail-under", "0.99")
    assert res.exit_code == 2
    errors = [line for line in res.stderr.splitlines() if line.startswith("grade: error:")]
    assert errors == [f"grade: error: {tmp_path}/empty.md: answer is empty",
                      f"grade: error: {tmp_path}/missing.md: no such file or folder"]
    assert (tmp_path / "out" / "a.json").exists()
    assert "Traceback" not in res.output


def test_malformed_transcript_blocks_are_warned_once_and_the_rest_graded(tmp_path, run):
    files = {"talk.vtt": INTERVIEW_VTT.replace("\n2\n", "\nlost caption line\n\n2\n"),  # line 9: no timing
             "call.srt": "1\n00:00:01,000 --> 00:00:03,500\nI ask how many photos arrive per day.\n\n"
                         "broken entry\n\n2\n00:00:04,000 --> 00:00:09,000\nThen a CNN.\n",
             "none.vtt": "WEBVTT\n\njust text\n"}
    paths = write_files(tmp_path, files)
    for _ in range(2):  # the second run serves the reports from the cache: the warnings still show, once
        res = run(*paths)
        assert res.exit_code == 2 and "Traceback" not in res.output
        lines = res.stderr.splitlines()
        assert [ln for ln in lines if ln.startswith("grade: ")] == [
            f"grade: warning: {tmp_path}/call.srt:5: skipped an entry without a timing line",
            f"grade: warning: {tmp_path}/talk.vtt:9: skipped a block without a timing line",
            f"grade: error: {tmp_path}/none.vtt: line 3: cue without a timing line (start --> end); no valid cue"]
        assert lines[-1].startswith("graded 2 answer(s), 1 not graded")
        assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == ["call.json", "talk.json"]


def test_usage_errors_exit_2_without_traceback(tmp_path, run):
    paths = write_files(tmp_path, {"a.md": GOOD})
    for args, needle in [(["--format", "pdf"], "unknown format pdf"),
                         (["--question", "dogs"], "unknown question id 'dogs'"),
                         (["--time-plan", "long"], "unknown time plan 'long'")]:
        res = run(*paths, *args)
        assert res.exit_code == 2 and needle in res.stderr and "Traceback" not in res.output, args


def test_bad_rubric_exit_2_one_line(tmp_path):
    bad = tmp_path / "r.yaml"
    bad.write_text("id: [\n")
    ans = write_files(tmp_path, {"a.md": GOOD})
    res = invoke_grade(*ans, rubric=bad)
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1 and "invalid YAML" in res.stderr


def test_rubric_check_and_schema(tmp_path, run):
    ok = run("rubric", "check", TINY, command=main)
    assert ok.exit_code == 0 and ok.stdout.strip().endswith(": ok")
    bad = tmp_path / "r.yaml"
    bad.write_text("rubric_version: '1'\n")
    res = run("rubric", "check", str(bad), command=main)
    assert res.exit_code == 2 and len(res.stderr.splitlines()) > 3
    schema = run("schema", command=main)
    assert schema.exit_code == 0 and '"schema_version"' in schema.stdout


def test_rubric_check_lists_the_detectors_with_their_description(tmp_path):
    from helpers import DEFAULT_RUBRIC, default_rubric_data, tiny_rubric_data, write_rubric

    res = invoke("rubric", "check", DEFAULT_RUBRIC)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    n = len(load_rubric(default_rubric_path()).detectors)
    assert lines[0] == f"detectors ({n}):" and lines[-1].endswith(": ok") and len(lines) == n + 2
    assert lines[1].startswith("  calibration: What counts: ")
    assert all(" Counts: '" in line and " Not: '" in line for line in lines[1:-1])
    data = tiny_rubric_data()  # a detector without a description is listed as such
    data["detection"] = default_rubric_data()["detection"]
    data["detectors"] = [{"id": "cnn", "stages": ["model"], "feeds": {"building": 1.0},
                          "match": [{"kind": "phrase", "phrases": ["cnn"]}]}]
    res = invoke("rubric", "check", write_rubric(tmp_path, data))
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[:2] == ["detectors (1):", "  cnn: (no description)"]


def test_cli_choices_match_registries():
    # The CLI keeps literal lists so that --help imports nothing heavy; they must not drift.
    from grader.embedding.backends import BACKENDS, DEFAULT_BACKEND
    from grader.reports import FORMATS
    from grader.run.engines import ENGINES, EngineOptions

    assert sorted(KNOWN_FORMATS) == FORMATS.names()
    assert sorted(KNOWN_BACKENDS) == BACKENDS.names()
    assert sorted(KNOWN_ENGINES) == ENGINES.names()
    assert cli.DEFAULT_BACKEND == DEFAULT_BACKEND == EngineOptions().backend


def test_help_imports_nothing_heavy():
    code = ("import sys; from grader.cli import main, grade_command; "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'spacy', 'numpy', 'pandas', 'pydantic') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _many(tmp_path, n=400):
    return many_answers(tmp_path / "in", n, lambda i: f"CNN number {i} with {i % 7} layers")


@pytest.mark.parametrize("sig, code", [("SIGINT", 130), ("SIGTERM", 130)])
def test_interrupt_leaves_no_half_written_file_and_a_rerun_completes(tmp_path, sig, code):
    import signal
    import time

    src, out = _many(tmp_path), tmp_path / "out"
    args = [str(src), *TINY_HASHING, "--out", str(out), "--cache-dir", str(tmp_path / "cache")]
    proc = spawn_grade(args)
    wait_until_grading(proc)
    time.sleep(0.2)
    proc.send_signal(getattr(signal, sig))
    err = proc.communicate(timeout=60)[1]
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == code and "Traceback" not in err, err
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))
    rerun = spawn_grade(args)
    assert rerun.wait(timeout=120) == 0
    assert len(list(out.glob("*.json"))) == 400


# A run killed (SIGKILL) right after it wrote a report's temporary file, before the rename.
KILLED_MID_WRITE = """
import os, signal, sys
os.replace = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)
from grader.cli import grade_main
sys.argv[0] = "grade"
grade_main()
"""


def test_a_run_killed_mid_write_leaves_a_temporary_file_the_next_run_removes(tmp_path):
    from helpers import ROOT

    (tmp_path / "a.md").write_text(GOOD)
    out = tmp_path / "out"
    args = [str(tmp_path / "a.md"), *TINY_HASHING, "--out", str(out), "--no-cache", "-q"]
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, *args], cwd=ROOT, capture_output=True,
                            timeout=120)
    assert killed.returncode == -9
    [temp] = out.iterdir()
    assert temp.name.startswith(".a.json.") and temp.name.endswith(".tmp")
    assert invoke_grade(tmp_path / "a.md", "--out", out, "--no-cache", "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.html", "a.json", "a.md", "index.html", "summary.csv",
                                                     "summary.md"]


def test_two_runs_sharing_a_cache_folder_both_finish_correctly(tmp_path):
    src = _many(tmp_path, 150)
    common = [str(src), *TINY_HASHING, "-q"]
    procs = [spawn_grade([*common, "--out", str(tmp_path / f"out{i}"), "--cache-dir", str(tmp_path / "cache")])
             for i in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ref = spawn_grade([*common, "--out", str(tmp_path / "ref"), "--no-cache"])
    assert ref.wait(timeout=120) == 0
    for p in (tmp_path / "ref").iterdir():
        for i in (1, 2):
            assert (tmp_path / f"out{i}" / p.name).read_bytes() == p.read_bytes(), p.name


def test_fail_under_dimension_exit_1_and_summary_line(tmp_path, run):
    paths = write_files(tmp_path, {"a.md": GOOD})
    res = run(*paths, "--fail-under-dimension", "building=0.99", "--fail-under-dimension", "framing=0")
    assert res.exit_code == 1, res.output
    assert "1 under building=0.99, framing=0" in res.stderr
    ok = run(*paths, "--fail-under-dimension", "framing=0")
    assert ok.exit_code == 0 and "0 under framing=0" in ok.stderr


def test_fail_under_dimension_usage_errors_exit_2(tmp_path, run):
    paths = write_files(tmp_path, {"a.md": GOOD})
    for value, needle in [("building", "is not NAME=X"), ("building=high", "is not NAME=X"),
                          ("building=1.5", "building 1.5 is outside the scale the reports headline: raw scores 0-1"),
                          ("=0.5", "is not NAME=X"),
                          ("framin=0.5", "unknown dimension 'framin'; the rubric has framing, building")]:
        res = run(*paths, "--fail-under-dimension", value)
        assert res.exit_code == 2 and needle in res.stderr and "Traceback" not in res.output, value
        assert not (tmp_path / "out").exists(), value  # refused before grading anything
    twice = run(*paths, "--fail-under-dimension", "framing=0.1", "--fail-under-dimension", "framing=0.2")
    assert twice.exit_code == 2 and "given twice" in twice.stderr


def test_bad_input_wins_over_threshold(tmp_path, run):
    paths = write_files(tmp_path, {"a.md": GOOD, "empty.md": ""})
    res = run(*paths, "--fail-under-dimension", "building=0.99")
    assert res.exit_code == 2


def test_format_choice_writes_only_those(tmp_path, run):
    res = run(*write_files(tmp_path, {"a.md": GOOD}), "--format", "junit,html", "--fail-under", "0.99")
    assert res.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.html", "index.html", "junit.xml"]
    assert 'failures="1"' in (tmp_path / "out" / "junit.xml").read_text()


def _run_on_a_terminal(tmp_path, *extra, env_ci=None):
    """Run the real CLI with stderr on a pseudo-terminal; returns what it printed there."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    paths = write_files(tmp_path, {f"a{i}.md": GOOD for i in range(3)})
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if env_ci is not None:
        env["CI"] = env_ci
    main_fd, child_fd = pty.openpty()
    # a terminal has a size (a 0x0 one makes tqdm print nothing at all)
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen([*GRADE, *paths, *TINY_HASHING, "--no-cache", "--out", str(tmp_path / "out"), *extra],
                            stdout=subprocess.DEVNULL, stderr=child_fd, stdin=subprocess.DEVNULL, env=env)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main_fd)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks).decode(errors="replace")


def test_progress_bar_only_on_a_terminal_outside_ci(tmp_path):
    shown = _run_on_a_terminal(tmp_path)
    assert "grading:" in shown and "/3 [" in shown
    assert "graded 3 answer(s)" in shown
    in_ci = _run_on_a_terminal(tmp_path, env_ci="true")
    assert "grading:" not in in_ci and "graded 3 answer(s)" in in_ci
    assert _run_on_a_terminal(tmp_path, "--quiet").strip() == ""


@pytest.mark.parametrize("value,ci", [("true", True), ("1", True), ("yes", True), ("false", False),
                                      ("0", False), ("", False), (None, False)])
def test_ci_variable(monkeypatch, value, ci):
    from grader.cli import _in_ci

    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert _in_ci() is ci


def test_no_progress_bar_when_not_a_terminal(tmp_path):
    paths = write_files(tmp_path, {"a.md": GOOD})
    out = subprocess.run([*GRADE, *paths, *TINY_HASHING, "--no-cache", "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout == ""
    assert out.stderr.splitlines() == [f"graded 1 answer(s), 0 not graded; mean overall "
                                       f"{out.stderr.split('mean overall ')[1][:4]}; raw scores 0-1 (the shipped "
                                       f"calibration fits the default rubric only); reports in {tmp_path}/out"]

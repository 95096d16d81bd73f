"""Issue 10: robust and safe on bad input. Every bad input gets one line on stderr naming the file and the
problem, exit 2, and the rest of the batch is still graded and reported (summary.csv has the failure's row);
nothing is executed, nothing is written outside --out, nothing is lost, and the same inputs give the same
bytes. All through the model-free hashing backend.

Covered elsewhere (not repeated here): SIGINT/SIGTERM leave no half-written file and a rerun completes, and
two runs sharing a cache folder both finish with correct results (tests/test_cli.py); a corrupted cache
segment is detected and recomputed (tests/embedding/test_cache.py); the reader-level error of each malformed
transcript (tests/inputs/test_transcripts.py). Property-based: the readers on any input
(tests/inputs/test_answers.py, test_datasets.py, test_rubric.py) and a batch of any files
(tests/run/test_batch.py); an interrupted report write (tests/reports/test_write_reports.py).
"""

from __future__ import annotations

import ast
import codecs
import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from grader.errors import GraderError
from grader.inputs.datasets import read_dataset
from grader.inputs.rubric import rubric_problems
from grader.models import RunConfig

from helpers import (DATA, DEFAULT_RUBRIC, GOOD, GRADE, ROOT, TINY, TINY_HASHING, invoke, invoke_grade,
                     tiny_rubric_data, write_rubric)

OTHER = "---\nquestion: trains\n---\n## Clarify\nAsk how far ahead delays must be forecast.\n\n## Model\nTrees.\n"
LIMIT = RunConfig().max_bytes


def _grade(*args, rubric=TINY):
    """The grade command in-process; returns (exit code, stderr lines, stdout)."""
    res = invoke_grade(*args, rubric=rubric)
    return res.exit_code, res.stderr.splitlines(), res.stdout


def _summary(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def _errors(lines: list[str]) -> list[str]:
    return [line.removeprefix("grade: error: ") for line in lines if line.startswith("grade: error: ")]


# ------------------------------------------------------------------------------------ one bad input per row
#
# Each row: the bad file's name, how to make it, the message it gets. Each is graded in a batch with a good
# answer; the good one must still be graded and reported.


def _fifo(p: Path) -> None:
    """A named pipe. Should a regression read it, a writer turns up after 10 s and closes it, so the test fails
    (the pipe reads as empty) instead of hanging."""
    import threading

    os.mkfifo(p)

    def unblock() -> None:
        try:
            os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # no reader: nothing to unblock
            pass

    timer = threading.Timer(10.0, unblock)
    timer.daemon = True
    timer.start()


BAD_FILES = [
    ("empty", "empty.md", b"", "answer is empty"),
    ("whitespace_only", "ws.md", b"  \n\t\r\n   \n", "answer is empty"),
    ("front_matter_only", "fm.md", b"---\nquestion: cats\n---\n  \n", "answer has no text after front matter"),
    ("binary", "img.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01",
     "binary file (contains NUL bytes), not an answer"),
    ("size_20MB", "big.md", None, f"file is 20,000,005 bytes, over the {LIMIT:,}-byte limit"),
    ("latin1", "latin1.md", "Clarify: café first.\n".encode("latin-1"),
     "not UTF-8 text (invalid byte at offset 12) (re-save the file as UTF-8)"),
    ("utf16_without_bom", "u16.md", "Clarify the goal first.\n".encode("utf-16-le"),
     "UTF-16 text without a byte-order mark (re-save the file as UTF-8, or as UTF-16 with a BOM)"),
    ("broken_front_matter", "fm_broken.md", b"---\nquestion: [cats\n---\nBody.\n",
     "broken front matter line 3: expected ',' or ']'"),
    ("front_matter_not_mapping", "fm_list.md", b"---\n- a\n- b\n---\nBody.\n", "front matter is not a mapping"),
    ("front_matter_python_tag", "fm_tag.md", b"---\nquestion: !!python/object/apply:os.system ['exit 3']\n---\nBody.\n",
     "broken front matter line 2: could not determine a constructor for the tag"),
    ("unknown_question_id", "dogs.md", GOOD.replace("cats", "dogs").encode(),
     "unknown question id 'dogs' (from front matter); the rubric has cats, trains"),
    ("no_prose", "code.md", b"```\nonly code\n```\n", "no prose to grade (only headings, code or markup)"),
    ("unsupported_suffix", "a.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
    ("fifo", "pipe.md", _fifo, "not a regular file (a folder, pipe or device)"),
    ("vtt_no_header", "a.vtt", b"00:00:00.000 --> 00:00:01.000\nhi\n", "not a WebVTT file"),
    ("vtt_bad_timestamp", "b.vtt", b"WEBVTT\n\n00:00:0x.000 --> 00:00:01.000\nhi\n",
     "line 3: bad timestamp '00:00:0x.000'"),
    ("vtt_backwards_cue", "c.vtt", b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nhi\n",
     "line 3: cue ends before it starts"),
    ("srt_bad_number", "a.srt", b"one\n00:00:01,000 --> 00:00:02,000\nhi\n",
     "line 1: subtitle number 'one' is not a number"),
    ("srt_bad_timestamp", "b.srt", b"1\n00:00:01 --> 00:00:02,000\nhi\n", "line 2: bad timestamp '00:00:01'"),
    ("whisper_invalid_json", "a.json", b"{not json", "invalid JSON at line 1 column 2"),
    ("whisper_not_object", "b.json", b"[1, 2]", "not a Whisper transcript: expected an object with a 'segments' list"),
    ("whisper_bad_segment", "c.json", b'{"segments": [{"start": "0", "end": 1, "text": "x"}]}',
     "segment 0: 'start' is missing or not a number"),
]


@pytest.mark.parametrize("name, content, message", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_file_one_line_exit_2_rest_of_batch_graded(tmp_path, name, content, message):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.md").write_text(GOOD)
    bad = src / name
    if callable(content):
        content(bad)
    elif content is None:  # a 20 MB answer: refused by the documented size limit, without reading it
        bad.write_bytes(b"word " * 4_000_001)
    else:
        bad.write_bytes(content)
    out = tmp_path / "out"
    code, err, stdout = _grade(src / "good.md", bad, "--out", out, "--no-cache")
    assert code == 2 and stdout == ""
    errors = _errors(err)
    assert len(errors) == 1 and errors[0].startswith(f"{bad}: {message}"), err
    assert not any("Traceback" in line for line in err)
    assert err[-1].startswith("graded 1 answer(s), 1 not graded")
    rows = _summary(out)
    assert rows[str(src / "good.md")]["report"] == "good" and (out / "good.json").is_file()
    assert message in rows[str(bad)]["error"] and rows[str(bad)]["overall"] == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "good.html", "good.json", "good.md", "index.html", "summary.csv", "summary.md"]


BAD_SPECS = [
    ("glob_matching_nothing", lambda t: str(t / "nowhere" / "*.md"), "glob matched no file"),
    ("folder_without_answers", lambda t: (t / "empty").mkdir() or str(t / "empty"),
     "folder has no answer files (.markdown, .md, .srt, .txt, .vtt)"),
    ("missing_path", lambda t: str(t / "missing.md"), "no such file or folder"),
    ("broken_symlink", lambda t: os.symlink(t / "gone.md", t / "link.md") or str(t / "link.md"),
     "no such file or folder"),
    ("path_under_a_file", lambda t: str(t / "in" / "good.md" / "x.md"), "no such file or folder"),
]


@pytest.mark.parametrize("make, message", [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS])
def test_bad_path_spec_one_line_exit_2_rest_of_batch_graded(tmp_path, make, message):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.md").write_text(GOOD)
    spec = make(tmp_path)
    out = tmp_path / "out"
    code, err, _ = _grade(tmp_path / "in", spec, "--out", out, "--no-cache")
    assert code == 2 and _errors(err) == [f"{spec}: {message}"], err
    rows = _summary(out)
    assert set(rows) == {str(tmp_path / "in" / "good.md"), spec} and rows[spec]["error"].endswith(message)


def test_unreadable_file_in_process(tmp_path, monkeypatch):
    """Permission denied on read (simulated: the tests may run as root): one line, the rest graded."""
    (tmp_path / "good.md").write_text(GOOD)
    secret = tmp_path / "secret.md"
    secret.write_text(GOOD)
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "secret.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, err, _ = _grade(tmp_path, "--out", tmp_path / "out", "--no-cache")
    assert code == 2 and _errors(err) == [f"{secret}: cannot read file: Permission denied"]
    assert _summary(tmp_path / "out")[str(tmp_path / "good.md")]["report"] == "good"


def _unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (root bypasses them)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    probe = subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot drop capabilities here")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


def test_unreadable_file_and_folders_for_real(tmp_path):
    """Real permissions: an unreadable file, a folder that cannot be listed (named and met in a scan), a path
    inside it. Each gets one line; nothing is silently skipped; the readable answer is graded."""
    prefix = _unprivileged()
    src = tmp_path / "in"
    (src / "locked").mkdir(parents=True)
    (src / "good.md").write_text(GOOD)
    (src / "secret.md").write_text(GOOD)
    (src / "locked" / "hidden.md").write_text(GOOD)
    (src / "secret.md").chmod(0)
    (src / "locked").chmod(0)
    tmp_path.chmod(0o777)
    out = tmp_path / "out"
    try:
        proc = subprocess.run([*prefix, *GRADE, str(src), str(src / "locked"), str(src / "locked" / "hidden.md"),
                               *TINY_HASHING, "--no-cache", "--out", str(out)], capture_output=True, text=True,
                              timeout=120, cwd=ROOT)
    finally:
        (src / "locked").chmod(0o755)
        (src / "secret.md").chmod(0o644)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert _errors(proc.stderr.splitlines()) == [
        f"{src}/locked: cannot read folder: Permission denied",
        f"{src}/locked/hidden.md: cannot read: Permission denied",
        f"{src}/secret.md: cannot read file: Permission denied"]
    assert _summary(out)[str(src / "good.md")]["report"] == "good"


# ----------------------------------------------------------------------------------------- encodings decoded


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                        (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
                                        (codecs.BOM_UTF32_BE, "utf-32-be")],
                         ids=["utf8_bom", "utf16le_bom", "utf16be_bom", "utf32le_bom", "utf32be_bom"])
def test_bom_encodings_are_decoded_and_graded_like_utf8(tmp_path, bom, codec):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.md").write_text(GOOD)
    (tmp_path / "b" / "x.md").write_bytes(bom + GOOD.replace("\n", "\r\n").encode(codec))
    for d in ("a", "b"):
        code, _, _ = _grade(tmp_path / d, "--out", tmp_path / f"out_{d}", "--no-cache", "--format", "json")
        assert code == 0
    ref, got = (json.loads((tmp_path / f"out_{d}" / "x.json").read_text()) for d in ("a", "b"))
    del ref["answer"]["path"], got["answer"]["path"]
    assert got == ref


def test_non_utf8_file_names_and_glob_characters_are_graded(tmp_path):
    """A Latin-1 file name (bytes that are not UTF-8) and names with glob characters, passed as the shell
    passes them: each is graded, the name shown with \\xNN escapes; no crash while writing UTF-8 reports."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "answer[1].md").write_text(GOOD)
    (src / "why?.md").write_text(GOOD)
    latin = os.fsdecode(bytes(src) + b"/caf\xe9.md")
    Path(latin).write_text(GOOD)
    Path(os.fsdecode(bytes(src) + b"/caf\xe8.md")).write_text("")
    code, err, _ = _grade(src / "answer[1].md", src / "why?.md", src, "--out", tmp_path / "out", "--no-cache",
                          "--format", "json,md,html,csv,junit")
    assert code == 2 and _errors(err) == [f"{src}/caf\\xe8.md: answer is empty"], err
    rows = _summary(tmp_path / "out")
    assert {k: v["report"] for k, v in rows.items()} == {
        f"{src}/answer[1].md": "answer_1", f"{src}/caf\\xe8.md": "", f"{src}/caf\\xe9.md": "caf_xe9",
        f"{src}/why?.md": "why"}
    assert json.loads((tmp_path / "out" / "caf_xe9.json").read_text())["answer"]["path"] == f"{src}/caf\\xe9.md"


# ---------------------------------------------------------------------------------------- output folder


def test_output_folder_that_cannot_be_created(tmp_path):
    (tmp_path / "a.md").write_text(GOOD)
    for out, why in [(tmp_path / "a.md", "File exists"), (tmp_path / "a.md" / "sub", "Not a directory")]:
        code, err, _ = _grade(tmp_path / "a.md", "--out", out, "--no-cache")
        assert code == 2 and _errors(err) == [f"{out}: cannot create output folder: {why}"], err


def test_output_folder_that_cannot_be_written(tmp_path, monkeypatch):
    """A folder we may not write in (simulated: root may write anywhere): one line naming the file, exit 2."""
    import grader.files as files  # every file the grader writes goes through files.atomic_write

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    code, err, _ = _grade(tmp_path / "a.md", "--out", tmp_path / "out", "--no-cache")
    assert code == 2 and _errors(err) == [f"{tmp_path}/out/a.json: cannot write report: Permission denied"]
    assert list((tmp_path / "out").iterdir()) == []


def test_output_folder_holding_the_answers_is_refused_and_the_answers_survive(tmp_path):
    (tmp_path / "a.md").write_text(GOOD)
    code, err, _ = _grade(tmp_path, "--out", tmp_path, "--no-cache")
    assert code == 2 and _errors(err) == [
        f"{tmp_path}: refusing to replace an input file with its report: a.md is one of the answers graded; "
        "choose an --out folder that holds no answers"]
    assert (tmp_path / "a.md").read_text() == GOOD and sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_a_rerun_does_not_grade_its_own_reports(tmp_path):
    src = tmp_path / "answers"
    src.mkdir()
    (src / "a.md").write_text(GOOD)
    out = src / "reports"
    for _ in range(2):
        code, err, _ = _grade(src, "--out", out, "--no-cache")
        assert code == 0 and err[-1].startswith("graded 1 answer(s), 0 not graded"), err
    code, err, _ = _grade(str(src / "**" / "*.md"), "--out", out, "--no-cache")
    assert code == 0 and err[-1].startswith("graded 1 answer(s), 0 not graded"), err
    assert list(_summary(out)) == [str(src / "a.md")]


def test_answers_named_like_batch_files_keep_their_reports(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("summary.md", "index.md", "junit.md", "Summary-2.txt"):
        (src / name).write_text(GOOD)
    code, _, _ = _grade(src, "--out", tmp_path / "out", "--no-cache", "--format", "json,md,html,csv,junit")
    assert code == 0
    assert {k.rsplit("/", 1)[1]: v["report"] for k, v in _summary(tmp_path / "out").items()} == {
        "Summary-2.txt": "Summary-2", "index.md": "index-2", "junit.md": "junit-2", "summary.md": "summary-3"}
    assert json.loads((tmp_path / "out" / "summary-3.json").read_text())["answer"]["path"] == str(src / "summary.md")
    assert (tmp_path / "out" / "summary.md").read_text().startswith("# Batch summary")
    assert "# Grading report" in (tmp_path / "out" / "index-2.md").read_text()


def test_report_files_are_readable_like_any_new_file(tmp_path):
    (tmp_path / "a.md").write_text(GOOD)
    old = os.umask(0o022)
    try:
        assert _grade(tmp_path / "a.md", "--out", tmp_path / "out", "--no-cache")[0] == 0
    finally:
        os.umask(old)
    assert {oct(p.stat().st_mode & 0o777) for p in (tmp_path / "out").iterdir()} == {"0o644"}


def test_unwritable_cache_folder_is_one_line(tmp_path):
    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "cache").write_text("a file, not a folder")
    code, err, _ = _grade(tmp_path / "a.md", "--out", tmp_path / "out", "--cache-dir", tmp_path / "cache")
    assert code == 2 and _errors(err) == [f"{tmp_path}/cache: cannot write the embedding cache: Not a directory "
                                          "(pass another --cache-dir, or --no-cache)"]


# ---------------------------------------------------------------------------------------- datasets (CSV)


def _short(tmp_path: Path, edit) -> Path:
    d = tmp_path / "d"
    shutil.copytree(DATA / "short_answer", d)
    edit(d)
    return d


def _folder(tmp_path: Path, edit) -> Path:
    d = tmp_path / "d"
    shutil.copytree(DATA / "answer_folder", d)
    edit(d)
    return d


def _rewrite(path: Path, fn) -> None:
    path.write_text("\n".join(fn(path.read_text().splitlines())) + "\n")


DATASETS = [
    ("answers_missing_score_column", _short, lambda d: _rewrite(d / "answers.csv", lambda L: [
        ",".join(x.split(",")[:3]) for x in L]),
     "answers.csv: missing column(s) score; the header is answer_id,question_id,answer"),
    ("questions_missing_id_column", _short,
     lambda d: (d / "questions.csv").write_text("question,reference_answer\nq,r\n"),
     "questions.csv: missing column(s) question_id"),
    ("non_numeric_score", _short, lambda d: _rewrite(d / "answers.csv", lambda L: L[:3] + [
        L[3].replace(",1.0,", ",high,")] + L[4:]), "answers.csv: line 4: score 'high' is not a number"),
    ("infinite_score", _short, lambda d: _rewrite(d / "answers.csv", lambda L: L[:3] + [
        L[3].replace(",1.0,", ",inf,")] + L[4:]), "answers.csv: line 4: score 'inf' is not a finite number"),
    ("ragged_row", _short, lambda d: _rewrite(d / "answers.csv", lambda L: L[:2] + [L[2] + ",extra,more"] + L[3:]),
     "answers.csv: line 3: more fields than the header has"),
    ("bad_quoting", _short,
     lambda d: _rewrite(d / "answers.csv", lambda L: L[:2] + ['x,Q.1,"a"b",1,1,1,1,train'] + L[3:]),
     "answers.csv: line 3: malformed CSV"),
    ("latin1_csv", _short, lambda d: (d / "answers.csv").write_bytes(
        (d / "answers.csv").read_bytes().replace(b"circuit", b"circu\xeft")), "answers.csv: not UTF-8 text"),
    ("grades_missing_grade_column", _folder, lambda d: _rewrite(d / "grades.csv", lambda L: [
        ",".join(x.split(",")[:3]) for x in L]), "grades.csv: missing column(s) grade"),
    ("non_numeric_grade", _folder, lambda d: _rewrite(d / "grades.csv", lambda L: L[:2] + [
        "cats_1,ann,building,four"] + L[3:]), "grades.csv: line 3: grade 'four' is not a number"),
    ("bad_dataset_yaml", _short, lambda d: (d / "dataset.yaml").write_text("name: [x\n"), "dataset.yaml: invalid YAML"),
    ("not_a_dataset", lambda t, e: t, None, "not a dataset"),
]


@pytest.mark.parametrize("make, edit, message", [c[1:] for c in DATASETS], ids=[c[0] for c in DATASETS])
def test_bad_dataset_one_line_exit_2(tmp_path, make, edit, message):
    d = make(tmp_path, edit)
    with pytest.raises(GraderError) as info:
        read_dataset(d)
    assert message in str(info.value) and "\n" not in str(info.value)
    res = invoke("calibrate", d, "--predictions", tmp_path / "p.csv", *TINY_HASHING, "--no-cache")
    lines = res.stderr.splitlines()
    assert res.exit_code == 2 and len(lines) == 1 and message in lines[0] and "Traceback" not in res.output
    assert not (tmp_path / "p.csv").exists()


# --------------------------------------------------------------------------------------------- rubrics


def _rubric_variant(tmp_path: Path, edit) -> Path:
    data = tiny_rubric_data()
    edit(data)
    return write_rubric(tmp_path, data)


RUBRICS = [
    ("bad_yaml", "id: [\n", "line 2: invalid YAML"),
    ("python_object_apply", "id: !!python/object/apply:os.system ['touch {marker}']\n",
     "line 1: invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply"),
    ("python_name", "id: !!python/name:os.system\n", "invalid YAML: could not determine a constructor"),
    ("top_level_list", "- a\n- b\n", "a rubric is a YAML mapping at the top level"),
    ("unknown_top_field", lambda d: d.update(colour="red"), "colour: Extra inputs are not permitted"),
    ("unknown_nested_field", lambda d: d["coverage"].update(flor=0.1), "coverage.flor: Extra inputs are not permitted"),
    ("wrong_type", lambda d: d["coverage"].update(floor="low"), "coverage.floor: Input should be a valid number"),
    ("missing_file", None, "file not found"),
]


@pytest.mark.parametrize("content, message", [c[1:] for c in RUBRICS], ids=[c[0] for c in RUBRICS])
def test_malformed_rubric_one_line_exit_2_nothing_run(tmp_path, content, message):
    marker = tmp_path / "pwned"
    if content is None:
        rubric = tmp_path / "nope.yaml"
    elif callable(content):
        rubric = _rubric_variant(tmp_path, content)
    else:
        rubric = tmp_path / "r.yaml"
        rubric.write_text(content.format(marker=marker))
    (tmp_path / "a.md").write_text(GOOD)
    code, err, _ = _grade(tmp_path / "a.md", "--out", tmp_path / "out", "--no-cache", rubric=rubric)
    assert code == 2 and len(err) == 1 and err[0].startswith(f"grade: error: {rubric}: ") and message in err[0], err
    assert not (tmp_path / "out").exists() and not marker.exists()
    if content is not None:
        assert any(message in p for p in rubric_problems(rubric))


# ----------------------------------------------------------------------------------------- calibration


@pytest.fixture(scope="module")
def calibration_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("cal")
    res = invoke("calibrate", DATA / "answer_folder", "--cv", "2", "--predictions", d / "oof.csv", "--model",
                 d / "cal.json", *TINY_HASHING, "--no-cache", "--bootstrap", "0", "--quiet")
    assert res.exit_code == 0, res.output
    return d / "cal.json"


def _edited(src: Path, dst: Path, **changes) -> Path:
    data = json.loads(src.read_text())
    data.update(changes)
    dst.write_text(json.dumps(data))
    return dst


CALIBRATIONS = [
    ("other_model", lambda c, t: _edited(c, t / "m.json", model="sentence-transformers/all-MiniLM-L6-v2|abc|torch"),
     TINY, "calibration fitted with embedding model sentence-transformers/all-MiniLM-L6-v2 (abc|torch), this run "
           "uses hashing (v1|512); refit it or use the same backend"),
    ("other_rubric", lambda c, t: c, DEFAULT_RUBRIC,
     "calibration fitted with another rubric or configuration"),
    ("other_feature_version", lambda c, t: _edited(c, t / "v.json", feature_version="0"), TINY,
     "calibration made with feature version '0'"),
    ("not_json", lambda c, t: (t / "g.json").write_text("{nope") and t / "g.json", TINY,
     "not a calibration file (unreadable JSON"),
    ("a_report_not_a_calibration", lambda c, t: (t / "r.json").write_text('{"kind": "report"}') and t / "r.json", TINY,
     "not a calibration file (made by `grader calibrate --model`)"),
    ("missing", lambda c, t: t / "none.json", TINY, "calibration file not found"),
]


@pytest.mark.parametrize("make, rubric, message", [c[1:] for c in CALIBRATIONS], ids=[c[0] for c in CALIBRATIONS])
def test_foreign_or_broken_calibration_is_refused_with_the_reason(tmp_path, calibration_file, make, rubric, message):
    cal = make(calibration_file, tmp_path)
    answer = DATA / "answer_folder" / "answers" / "cats_1.md"
    code, err, _ = _grade(answer, "--calibration", cal, "--out", tmp_path / "out", "--no-cache", rubric=rubric)
    assert code == 2 and len(err) == 1 and err[0].startswith(f"grade: error: {cal}: ") and message in err[0], err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------- safety


def _calls(tree: ast.AST):
    """(owner, name, node) per call: `f()` -> ("", "f"), `mod.f()` -> ("mod", "f"), `x.y().f()` -> ("?", "f")."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                yield "", f.id, node
            elif isinstance(f, ast.Attribute):
                yield (f.value.id if isinstance(f.value, ast.Name) else "?"), f.attr, node


def test_no_pickle_no_unsafe_yaml_nothing_executed_anywhere_in_the_grader():
    """Static: no module imports pickle (or joblib, dill, marshal, shelve), calls eval/exec/compile/os.system or
    a subprocess, loads YAML but with a safe loader, or loads numpy arrays with pickles allowed."""
    from grader.inputs import rubric

    banned_imports = {"pickle", "cPickle", "dill", "joblib", "marshal", "shelve", "cloudpickle", "subprocess"}
    problems = []
    for path in sorted((ROOT / "grader").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            problems += [f"{path.name}: imports {n}" for n in names if n.split(".")[0] in banned_imports]
        for owner, name, node in _calls(tree):
            kw = {k.arg: k.value for k in node.keywords}
            if owner == "" and name in {"eval", "exec", "compile", "__import__"}:
                problems.append(f"{path.name}:{node.lineno}: {name}()")
            if owner == "os" and (name in {"system", "popen"} or name.startswith(("exec", "spawn"))):
                problems.append(f"{path.name}:{node.lineno}: os.{name}()")
            if owner == "yaml" and name in {"load", "load_all", "compose", "compose_all", "full_load", "unsafe_load",
                                            "unsafe_load_all", "full_load_all"}:
                loader = kw.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
                if name.startswith(("full", "unsafe")) or loader is None or "Safe" not in ast.unparse(loader):
                    problems.append(f"{path.name}:{node.lineno}: yaml.{name}() without a safe loader")
            if owner in {"np", "numpy"} and name == "load":
                if not (isinstance(kw.get("allow_pickle"), ast.Constant) and kw["allow_pickle"].value is False):
                    problems.append(f"{path.name}:{node.lineno}: np.load without allow_pickle=False")
            if owner == "torch" and name == "load" and not (
                    isinstance(kw.get("weights_only"), ast.Constant) and kw["weights_only"].value is True):
                problems.append(f"{path.name}:{node.lineno}: torch.load without weights_only=True")
    assert problems == []
    safe = tuple(c for c in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", None)) if c is not None)
    assert issubclass(rubric._SafeLoader, safe)


def test_answer_markup_and_file_names_are_escaped_in_every_report(tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    src = tmp_path / "in"
    src.mkdir()
    markup = f"## Model {evil}\n<script>alert(2)</script> [l](javascript:x)\n"
    (src / f"{evil}.md").write_text(GOOD.replace("## Model\n", markup))
    (src / "<script>alert(3)<|script>.md").write_text("")  # a failure: its path shows in the batch files
    code, _, _ = _grade(src, "--out", tmp_path / "out", "--no-cache", "--format", "json,md,html,csv,junit")
    assert code == 2
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "img_src_x_onerror_alert_1.html", "img_src_x_onerror_alert_1.json", "img_src_x_onerror_alert_1.md",
        "index.html", "junit.xml", "summary.csv", "summary.md"]
    for name in ("img_src_x_onerror_alert_1.html", "index.html", "img_src_x_onerror_alert_1.md", "summary.md",
                 "junit.xml"):
        text = (out / name).read_text()
        assert "<img" not in text and "<script>alert" not in text and "](javascript:" not in text, name
        assert "alert(3)" in text or "alert\\(3\\)" in text or name.startswith("img_"), name
    assert "&lt;img src=x onerror=alert(1)&gt;" in (out / "index.html").read_text()


def test_reports_are_written_only_under_the_output_folder(tmp_path, monkeypatch):
    """An answer reached through ../.. and answers named with dots: reports land in --out, nowhere else."""
    (tmp_path / "x.md").write_text(GOOD)
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    for name in ("..md", "...md", ".hidden.md"):
        (work / name).write_text(GOOD)
    before = {p for p in tmp_path.rglob("*")}
    monkeypatch.chdir(work)
    code, _, _ = _grade("../../x.md", ".", "--out", "out", "--no-cache")
    assert code == 0
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(p == work / "out" or p.parent == work / "out" for p in created), created
    assert sorted(p.name for p in (work / "out").glob("*.json")) == ["answer-2.json", "answer.json", "hidden.json",
                                                                     "x.json"]


def test_front_matter_and_transcripts_execute_nothing(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "a.md").write_text(f"---\nquestion: !!python/object/apply:os.system ['touch {marker}']\n---\nHi.\n")
    (tmp_path / "b.json").write_text(json.dumps({"segments": [{"start": 0, "end": 1, "text": "__import__('os')"}],
                                                 "!!python/object/apply:os.system": ["touch " + str(marker)]}))
    code, _, _ = _grade(tmp_path / "a.md", tmp_path / "b.json", "--out", tmp_path / "out", "--no-cache")
    assert code == 2 and not marker.exists()


# -------------------------------------------------------------------------------------------- integrity


def test_a_corrupted_cache_entry_is_recomputed_and_the_reports_do_not_change(tmp_path):
    (tmp_path / "a.md").write_text(GOOD)
    cache = tmp_path / "cache"
    ref = tmp_path / "ref"
    assert _grade(tmp_path / "a.md", "--out", ref, "--no-cache")[0] == 0
    assert _grade(tmp_path / "a.md", "--out", tmp_path / "o1", "--cache-dir", cache)[0] == 0
    for npy in cache.rglob("*.npy"):
        data = bytearray(npy.read_bytes())
        data[-5] ^= 0xFF
        npy.write_bytes(bytes(data))
    assert _grade(tmp_path / "a.md", "--out", tmp_path / "o2", "--cache-dir", cache)[0] == 0
    for p in ref.iterdir():
        assert (tmp_path / "o2" / p.name).read_bytes() == p.read_bytes(), p.name


# ------------------------------------------------------------------------------------------ determinism


def test_same_bytes_whatever_order_batch_size_and_cache_state(tmp_path):
    """Byte-identical reports: the whole batch in two orders, cold then warm cache and no cache; and each
    answer graded alone (batch size 1) or in a pair gives the same per-answer reports as in the whole batch."""
    src = tmp_path / "in"
    src.mkdir()
    texts = {"a.md": GOOD, "b.md": OTHER, "c.md": "Ask how many photos arrive per day. Then use a CNN.\n",
             "d.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:09.000\nWe watch the share of cat predictions.\n",
             "e.md": ""}
    for name, text in texts.items():
        (src / name).write_text(text)
    files = [str(src / n) for n in texts]
    fmt = ["--format", "json,md,html,csv,junit", "--fail-under", "0.5"]
    runs = {"cold": (files, ["--cache-dir", tmp_path / "cache"]),
            "warm_reversed": (files[::-1], ["--cache-dir", tmp_path / "cache"]),
            "no_cache_shuffled": ([files[i] for i in (2, 4, 0, 3, 1)], ["--no-cache"])}
    for run, (paths, cache) in runs.items():
        assert _grade(*paths, "--out", tmp_path / run, *cache, *fmt)[0] == 2
    names = sorted(p.name for p in (tmp_path / "cold").iterdir())
    assert len(names) == 4 * 3 + 4
    for run in runs:
        assert sorted(p.name for p in (tmp_path / run).iterdir()) == names
        for name in names:
            assert (tmp_path / run / name).read_bytes() == (tmp_path / "cold" / name).read_bytes(), (run, name)
    subsets = [[f] for f in files[:4]] + [[files[3], files[0]]]
    for i, subset in enumerate(subsets):
        out = tmp_path / f"subset{i}"
        cache = ["--cache-dir", tmp_path / "cache"] if i % 2 else ["--no-cache"]
        assert _grade(*subset, "--out", out, *cache, *fmt)[0] in (0, 1)
        for f in subset:
            for suffix in (".json", ".md", ".html"):
                name = Path(f).stem + suffix
                assert (out / name).read_bytes() == (tmp_path / "cold" / name).read_bytes(), (subset, name)

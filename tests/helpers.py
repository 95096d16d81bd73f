"""Plain helpers the tests import (`from helpers import ...`; fixtures are in conftest.py): the repository's
paths, answer texts used by several test files, and the runners they share (grading a text with a toolkit,
the CLI in-process through click's CliRunner or in a child process)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from hypothesis import strategies as st

from grader.models import CalibrationConfig

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TINY = DATA / "tiny_rubric.yaml"
RESOURCES = ROOT / "grader" / "resources"  # package data: the rubrics and the golden answers they name
DEFAULT_RUBRIC = RESOURCES / "rubrics" / "ml_system_design.yaml"
SHORT_ANSWER_RUBRIC = RESOURCES / "rubrics" / "short_answer.yaml"
GOLDEN_ANSWERS = RESOURCES / "golden_answers"
EXAMPLES = sorted((ROOT / "examples" / "answers").glob("*.md"))  # the six answers of `make demo`

# ------------------------------------------------------------------------------------------------ texts

# An answer to the tiny rubric's "cats" question: two of its three stages, under headings.
GOOD = "---\nquestion: cats\n---\n## Clarify\nAsk how many photos arrive per day.\n\n## Model\nUse a CNN.\n"

# The tiny rubric's key points for "cats", one per stage (the hashing embedder's similarity is word overlap).
ASK = "ask how many photos arrive per day"
CNN = "use a convolutional network pretrained on imagenet"
DRIFT = "watch the share of cat predictions for drift"

# A mock interview as WebVTT: the interviewer's turn, then two of the candidate's.
INTERVIEW_VTT = """WEBVTT

NOTE recorded mock interview

1
00:00:00.000 --> 00:00:04.000
<v Interviewer>Design a cat detector.</v>

2
00:00:05.000 --> 00:00:15.000 align:start
<v Candidate>First I <i>ask</i> how many photos arrive per day.</v>

3
00:00:15.000 --> 00:00:35.000
<v Candidate>Then I use a CNN &amp; watch drift.</v>
"""


def write_files(folder: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write each name -> text (UTF-8) or bytes under `folder` (sub-folders made); the paths written, in order."""
    paths = []
    for name, content in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        paths.append(p)
    return paths


def many_answers(folder: Path, n: int, model: Callable[[int], str] = lambda i: f"CNN {i}") -> Path:
    """`n` variants of GOOD, a000.md, a001.md, ... in `folder` (made): the i-th names its model `model(i)`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i:03d}.md").write_text(GOOD.replace("CNN", model(i)))
    return folder


# ---------------------------------------------------------------------------------------------- rubrics


def tiny_rubric_data() -> dict:
    return yaml.safe_load(TINY.read_text())


def default_rubric_data() -> dict:
    return yaml.safe_load(DEFAULT_RUBRIC.read_text())


def write_rubric(folder: Path, data: dict | str) -> Path:
    """`data` (a mapping, or YAML text as is) as folder/r.yaml, next to the tiny rubric's golden answers."""
    p = folder / "r.yaml"
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    for name in ("golden_cats.md", "golden_trains.md"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    return p


def dead_pid() -> int:
    """The pid of a child process that has exited and been reaped (no process has it, barring reuse)."""
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


def temp_name(target: str, pid: int | None, host: str | None = None, rand: str = "k3x_9q0z") -> str:
    """The name atomic_write gives its temporary file for `target` when written by `pid` on `host` (default: this
    one); with pid None, the older name without them."""
    from grader.files import _host

    return f".{target}.{pid}-{host or _host()}.{rand}.tmp" if pid is not None else f".{target}.{rand}.tmp"


# ------------------------------------------------------------------------------------------- pipeline


def sectioned(sentences, front: dict | None = None, times=None):
    """A SectionedAnswer of (stage, text) sentences (offsets 0), with optional front matter and (start, end)
    times per sentence."""
    from grader.models import Answer, SectionedAnswer, Sentence

    times = times or [(None, None)] * len(sentences)
    return SectionedAnswer(answer=Answer(path="a.md", text="", format="markdown", front_matter=front or {}),
                           sentences=[Sentence(text=t, start=0, end=0, stage=s, t_start=a, t_end=b)
                                      for (s, t), (a, b) in zip(sentences, times)])


def split_one(answer, rubric, nlp):
    """split_sections on one answer (an Answer, or Markdown text read as a.md) with the rubric's settings."""
    from grader.models import Answer
    from grader.pipeline.sections import split_sections

    if isinstance(answer, str):
        answer = Answer(path="a.md", text=answer, format="markdown")
    return split_sections([answer], rubric.stages, nlp, rubric.sections)[0]


def coverage_by_stage(sa, rubric, embedder, qid: str = "cats") -> dict:
    """compute_coverage of a sectioned answer against question `qid`, by stage."""
    from grader.embedding.cache import embed_texts
    from grader.pipeline.coverage import compute_coverage

    q = rubric.question(qid)
    table = embed_texts([s.text for s in sa.sentences] + [kp.text for _, kp in q.all_key_points()], embedder, None)
    return {c.stage: c for c in compute_coverage(sa, q, rubric.stage_ids, rubric.coverage, table)}


def grade_text(text: str, toolkit, rubric, qid: str = "q05"):
    """The report of one Markdown answer graded as question `qid` (no file involved); fails on a failure."""
    from grader.models import Answer, RunConfig
    from grader.pipeline.grade import grade_answers

    answer = Answer(path=f"{qid}.md", text=text, format="markdown")
    result = grade_answers([answer], rubric, RunConfig(question=qid), toolkit)
    assert not result.failures
    return result.reports[0]


# ------------------------------------------------------------------------------------------------- CLI

TINY_HASHING = ["--rubric", str(TINY), "--backend", "hashing"]  # the tiny rubric, the model-free backend
GRADE = [sys.executable, "-m", "grader", "grade"]  # the real CLI, in a child process


def invoke(*args):
    """`grader ARGS` in-process (click's CliRunner); the click Result."""
    from click.testing import CliRunner

    from grader.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def invoke_grade(*args, rubric: Path | str = TINY):
    """`grade ARGS --rubric RUBRIC --backend hashing` in-process (click's CliRunner); the click Result."""
    from click.testing import CliRunner

    from grader.cli import grade_command

    return CliRunner().invoke(grade_command, [*map(str, args), "--rubric", str(rubric), "--backend", "hashing"])


def spawn_grade(args, **kw) -> subprocess.Popen:
    """`python -m grader grade ARGS` in a child process run from the repository, stdout and stderr piped as
    text, SIGINT at its default action (so that a test can interrupt it)."""
    import signal

    return subprocess.Popen([*GRADE, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)


def wait_until_grading(proc: subprocess.Popen, marker: str = "/spacy/", timeout: float = 60.0) -> None:
    """Block until the child has entered the grading code (a native library it imports only inside the CLI's
    guarded block is mapped: spaCy's for a local run), so a signal sent now tests our handling, not the
    interpreter's start-up."""
    import time

    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if marker in maps.read_text():
                return
        except OSError:
            pass
        time.sleep(0.05)


# ------------------------------------------------------------------------------ hypothesis strategies

# An answer file's suffix, and text built from the pieces of every answer format (front matter, Markdown,
# WebVTT, SubRip, Whisper JSON, plain transcripts), well-formed or not.
ANSWER_SUFFIXES = st.sampled_from([".md", ".txt", ".vtt", ".srt", ".json", ".markdown"])
_PIECES = st.sampled_from(["---\n", "question: cats\n", "question: [\n", "## Model\n", "# Clarify\n", "Use a CNN. ",
                           "Ask how many photos arrive per day.\n", "WEBVTT\n\n", "00:00:01.000 --> 00:00:02.000\n",
                           "1\n00:00:01,000 --> 00:00:02,000\n", '{"segments": [',
                           '{"start": 0, "end": 1, "text": "x"}',
                           "]}", "Interviewer: ", "Candidate: ", "[00:01] ", "```\n", "<!-- ", " -->", "\r\n", "\n",
                           "é", "\u202e", "\x0c", "\t", "* ", "1. ", "<v A>", "</v>", " ", "."])
ANSWER_TEXTS = st.lists(_PIECES, max_size=40).map("".join)


# calibration data we wrote: a short-answer dataset and an answer folder (tests/data)
SHORT = DATA / "short_answer"
FOLDER = DATA / "answer_folder"
CALIBRATION_CONFIG = CalibrationConfig()

"""Every report format, byte for byte, without the model: a fixed set of answers (each input format: Markdown,
text, HTML headings, WebVTT, SubRip, Whisper JSON) graded on the model-free `hashing` backend with thresholds
set, written in every registered format, compared with the committed files in tests/data/golden_hashing/.

A change to a renderer (or to the pipeline) shows up here as a diff. When the change is meant, refresh the
files with `make golden` (GRADER_REFRESH_GOLDEN=1) and review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import grader
from grader.reports import FORMATS

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden_hashing"
SECTIONS = "tests/data/sections/answers"
INPUTS = ["examples/answers/q01_strong.md", "examples/answers/q05_weak.md",
    f"{SECTIONS}/f05_q05_html.md", f"{SECTIONS}/f09_q09_plain_labels.txt", f"{SECTIONS}/f21_q01_interview.vtt",
    f"{SECTIONS}/f22_q05_whisper.json", f"{SECTIONS}/f23_q07_subtitles.srt",
]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden")
    here = os.getcwd()
    os.chdir(ROOT)  # report paths are the relative paths given
    try:
        config = grader.RunConfig(fail_under=0.5, fail_under_dimension={"data_intuition": 0.4}, cache_dir=None)
        result = grader.grade(INPUTS, config=config, backend="hashing")
        grader.write_reports(result, FORMATS.names(), out, config)
    finally:
        os.chdir(here)
    if os.environ.get("GRADER_REFRESH_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in GOLDEN.iterdir():
            old.unlink()
        for p in out.iterdir():
            (GOLDEN / p.name).write_bytes(p.read_bytes())
    return out


def test_the_set_covers_every_format_and_input_kind(written):
    names = {p.name for p in written.iterdir()}
    batch = {f.batch_file for f in map(FORMATS.get, FORMATS) if f.batch_file}
    assert batch <= names
    for fmt in map(FORMATS.get, FORMATS):
        if fmt.suffix:
            assert sum(n.endswith(fmt.suffix) for n in names - batch) == len(INPUTS), fmt.name
    assert {Path(p).suffix for p in INPUTS} == {".md", ".txt", ".vtt", ".json", ".srt"}


def test_every_file_equals_the_committed_one(written):
    assert GOLDEN.is_dir(), "no golden files: run `make golden`"
    assert sorted(p.name for p in written.iterdir()) == sorted(p.name for p in GOLDEN.iterdir())
    changed = [p.name for p in sorted(written.iterdir()) if p.read_bytes() != (GOLDEN / p.name).read_bytes()]
    assert not changed, f"report bytes changed: {changed} (if meant: `make golden`, then review the diff)"

"""The cache of graded reports: a rerun on unchanged answers serves them, with the same bytes; anything that
changes a report changes its key; a damaged entry is recomputed."""

from pathlib import Path

from grader.embedding.hashing import HashingEmbedder
from grader.models import RunConfig
from grader.pipeline.grade import Toolkit, config_hash
from grader.run.batch import grade_paths
from grader.reports import FORMATS, write_reports
from grader.run.result_cache import ResultCache, code_fingerprint

ANSWER = """---
question: cats
---
## Model
We train a convolutional network on labelled photos and calibrate its scores.

## Serving
Serve it behind a cache with a latency budget of 50 ms at p99.
"""


def _files(tmp_path: Path, n: int = 3) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(n):
        (src / f"a{i}.md").write_text(ANSWER.replace("50 ms", f"{50 + i} ms"))
    return src


def _run(src, rubric, nlp, cache_dir, out):
    embedder = HashingEmbedder()
    results = ResultCache(cache_dir)
    result = grade_paths([str(src)], rubric, RunConfig(), Toolkit(nlp=nlp, embedder=embedder), results=results)
    write_reports(result, FORMATS.names(), out)
    return embedder, results


def test_rerun_serves_reports_from_the_cache_with_the_same_bytes(tmp_path, tiny_rubric, nlp):
    src = _files(tmp_path)
    first, _ = _run(src, tiny_rubric, nlp, tmp_path / "cache", tmp_path / "cold")
    second, _ = _run(src, tiny_rubric, nlp, tmp_path / "cache", tmp_path / "warm")
    assert first.encoded > 0 and second.calls == 0  # nothing parsed or encoded the second time
    assert len(list((tmp_path / "cache" / "reports").rglob("*.json"))) == 3
    for p in (tmp_path / "cold").iterdir():
        assert p.read_bytes() == (tmp_path / "warm" / p.name).read_bytes(), p.name


def test_a_changed_answer_is_graded_again_and_only_it(tmp_path, tiny_rubric, nlp):
    src = _files(tmp_path)
    _run(src, tiny_rubric, nlp, tmp_path / "cache", tmp_path / "a")
    (src / "a1.md").write_text(ANSWER + "We retrain it every week on fresh labels.\n")
    again, _ = _run(src, tiny_rubric, nlp, tmp_path / "cache", tmp_path / "b")
    assert again.calls == 1 and again.encoded > 0
    assert (tmp_path / "a" / "a0.json").read_bytes() == (tmp_path / "b" / "a0.json").read_bytes()
    assert (tmp_path / "a" / "a1.json").read_bytes() != (tmp_path / "b" / "a1.json").read_bytes()


def test_damaged_entry_is_detected_and_recomputed(tmp_path, tiny_rubric, nlp):
    src = _files(tmp_path, n=1)
    _run(src, tiny_rubric, nlp, tmp_path / "cache", tmp_path / "a")
    entry = next((tmp_path / "cache" / "reports").rglob("*.json"))
    entry.write_bytes(entry.read_bytes().replace(b'"score":', b'"score": ', 1))
    embedder, cache = _run(src, tiny_rubric, nlp, tmp_path / "cache", tmp_path / "b")
    assert embedder.calls == 1 and cache.corrupt == [entry.name]
    assert (tmp_path / "a" / "a0.json").read_bytes() == (tmp_path / "b" / "a0.json").read_bytes()


def test_key_names_everything_a_report_depends_on(tmp_path, tiny_rubric, nlp):
    from grader.inputs.answers import read_answer

    src = _files(tmp_path, n=1)
    answer = read_answer(src / "a0.md", max_bytes=10**6)
    cache = ResultCache(tmp_path)
    chash = config_hash(tiny_rubric, HashingEmbedder(), tiny_rubric.default_time_plan)
    key = cache.key(answer, chash, None)
    assert key == cache.key(answer.model_copy(), chash, None)
    others = [cache.key(answer, chash, "cats"),
              cache.key(answer, config_hash(tiny_rubric, HashingEmbedder(dim=64), tiny_rubric.default_time_plan),
                        None),
              cache.key(answer.model_copy(update={"text": answer.text + " More."}), chash, None),
              cache.key(answer.model_copy(update={"path": "other.md"}), chash, None)]
    assert key not in others and len(set(others)) == len(others)
    assert len(code_fingerprint()) == 64


def test_storing_removes_a_killed_runs_temporary_files(tmp_path, tiny_rubric, nlp):
    from helpers import dead_pid, temp_name

    src = _files(tmp_path, 1)
    _, results = _run(src, tiny_rubric, nlp, tmp_path / "cache", tmp_path / "out")
    [entry] = (tmp_path / "cache" / "reports").rglob("*.json")
    stale, other = entry.parent / temp_name(entry.name, dead_pid()), entry.parent / ".notes.tmp"
    stale.write_bytes(b"half")
    other.write_bytes(b"x")
    entry.unlink()  # graded and stored again
    _run(src, tiny_rubric, nlp, tmp_path / "cache", tmp_path / "out")
    assert entry.exists() and not stale.exists() and other.exists()

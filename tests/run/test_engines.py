"""Engines: the dask engine gives the local engine's bytes, reports bad inputs the same way, and survives a
worker that dies mid-run."""

import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.embedding.hashing import HashingEmbedder
from grader.embedding.model import text_key
from grader.run.engines import EngineOptions, PrecomputedEmbedder, partitions, run_dask, run_local
from grader.errors import GraderError
from grader.models import RunConfig
from grader.reports import FORMATS, write_reports

from helpers import EXAMPLES, TINY_HASHING, many_answers, spawn_grade, wait_until_grading


def test_partitions_cover_every_file_in_order():
    files = [f"f{i:03d}" for i in range(1000)]
    parts = partitions(files, 200, 2)
    assert [f for p in parts for f in p] == files and max(map(len, parts)) == 200
    assert [len(p) for p in partitions(files[:6], 200, 2)] == [2, 2, 2]
    assert partitions([], 200, 2) == []


def test_precomputed_vectors_are_not_encoded_again():
    inner = HashingEmbedder()
    known = {text_key("known text"): inner.encode(["known text"])[0]}
    wrapped = PrecomputedEmbedder(inner, known)
    before = inner.encoded
    out = wrapped.encode(["known text", "new text"])
    assert inner.encoded - before == 1
    assert np.array_equal(out[0], known[text_key("known text")])
    assert wrapped.fingerprint == inner.fingerprint


def test_missing_dask_is_a_one_line_error(monkeypatch, tiny_rubric):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(GraderError, match=r"pip install 'answer-grader\[dask\]'"):
        run_dask([], tiny_rubric, RunConfig(), EngineOptions(backend="hashing"))


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


def _inputs(tmp_path, n, bad=()):
    d = many_answers(tmp_path / "in", n)
    for name, content in bad:
        (d / name).write_bytes(content)
    return [str(d)]


def _same_bytes(tmp_path, local, dask):
    write_reports(local, FORMATS.names(), tmp_path / "local")
    write_reports(dask, FORMATS.names(), tmp_path / "dask")
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "dask").iterdir())
    for name in names:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name


def test_dask_gives_local_bytes_and_reports_bad_files(tmp_path, cluster_client, tiny_rubric):
    skipped = b"WEBVTT\n\nno timing line\n\n00:00:00.000 --> 00:00:09.000\nWe watch the share of cat predictions.\n"
    paths = _inputs(tmp_path, 9, bad=[("empty.md", b""), ("latin1.md", b"caf\xe9"), ("talk.vtt", skipped)])
    config = RunConfig(cache_dir=str(tmp_path / "cache"))
    opts = EngineOptions(backend="hashing", partition_size=2, client=cluster_client)
    dask = run_dask(paths, tiny_rubric, config, opts)
    local = run_local(paths, tiny_rubric, config, opts)
    assert len(dask.reports) == 10 and [Path(f.path).name for f in dask.failures] == ["empty.md", "latin1.md"]
    assert [(Path(w.path).name, w.line) for w in dask.warnings] == [("talk.vtt", 3)]
    assert dask == local
    _same_bytes(tmp_path, local, dask)


def test_a_worker_killed_mid_run_loses_no_answer(tmp_path, cluster_client, tiny_rubric):
    paths = _inputs(tmp_path, 60)
    pids = sorted(cluster_client.run(os.getpid).values())
    killed = []

    def kill_one(_n):
        if not killed:
            os.kill(pids[-1], signal.SIGKILL)
            killed.append(pids[-1])

    opts = EngineOptions(backend="hashing", partition_size=1, client=cluster_client, on_partition_done=kill_one)
    result = run_dask(paths, tiny_rubric, RunConfig(), opts)
    assert killed and len(result.reports) == 60 and not result.failures
    assert result == run_local(paths, tiny_rubric, RunConfig(), opts)


@pytest.mark.slow
def test_dask_with_the_real_model_gives_local_bytes(tmp_path, cluster_client, default_rubric, nlp, real_embedder):
    from grader.pipeline.grade import Toolkit

    paths = [str(p) for p in EXAMPLES]
    dask = run_dask(paths, default_rubric, RunConfig(), EngineOptions(client=cluster_client))
    local = run_local(paths, default_rubric, RunConfig(), EngineOptions(),
                      tools=Toolkit(nlp=nlp, embedder=real_embedder))
    _same_bytes(tmp_path, local, dask)


def test_ctrl_c_cancels_and_leaves_no_report(tmp_path):
    pytest.importorskip("distributed")
    import time

    src = many_answers(tmp_path / "in", 300)
    out = tmp_path / "out"
    proc = spawn_grade([src, *TINY_HASHING, "--engine", "dask", "--workers", "1", "--partition-size", "1",
                        "--out", out, "--no-cache"])
    wait_until_grading(proc, marker="_psutil_linux")  # psutil: imported with distributed, in the guarded code
    time.sleep(0.5)  # inside cluster start-up or the run: both must end the same way
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "grade: error: interrupted; no report was left half-written"
    assert "Traceback" not in err
    assert not out.exists() or not list(out.iterdir())


def test_a_warm_shared_cache_means_no_encoding_on_any_worker(tmp_path, cluster_client, tiny_rubric):
    """Workers share --cache-dir: the second run finds every vector and every report there, so no worker encodes
    (an encoding would store a new vector segment) and the results are the first run's."""
    paths = _inputs(tmp_path, 8)
    config = RunConfig(cache_dir=str(tmp_path / "cache"))
    opts = EngineOptions(backend="hashing", partition_size=2, client=cluster_client)
    first = run_dask(paths, tiny_rubric, config, opts)
    segments = sorted(p.name for p in (tmp_path / "cache").rglob("*.npy"))
    reports = sorted(p.name for p in (tmp_path / "cache" / "reports").rglob("*.json"))
    assert segments and len(reports) == 8
    second = run_dask(paths, tiny_rubric, config, opts)
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*.npy")) == segments
    assert sorted(p.name for p in (tmp_path / "cache" / "reports").rglob("*.json")) == reports
    assert second == first

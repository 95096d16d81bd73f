"""Where a batch runs: `local` (this process) or `dask` (a Dask distributed cluster).

The dask engine cuts the sorted file list into partitions (hundreds of answers each, never one task per
answer). One task encodes the rubric's texts (key points, prompts) once; the vectors are broadcast to every
worker. Each worker builds its toolkit (sentencizer, model, cache) once per process, and runs the same
`grade_paths` as the local engine on each partition it gets. Only the small per-answer results travel back; the
client merges them and writes every report, so both engines write the same bytes. Workers must see the answer
files and the cache folder at the same paths (a shared filesystem on a real cluster).

A worker that dies has its partitions rescheduled by the scheduler; Ctrl-C cancels the cluster's work before any
report is written.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.calibration.apply import Calibrator
from grader.config import Settings
from grader.embedding.backends import DEFAULT_BACKEND
from grader.embedding.cache import embed_texts
from grader.embedding.model import Embedder, text_key
from grader.errors import GraderError
from grader.inputs.answers import expand_paths
from grader.models import BatchResult, InputFailure, Rubric, RunConfig
from grader.pipeline.grade import Toolkit
from grader.pipeline.question import question_texts
from grader.registry import Registry
from grader.run.batch import grade_paths
from grader.run.result_cache import ResultCache
from grader.run.toolkit import make_toolkit

ENGINES: Registry[Callable[..., BatchResult]] = Registry("engine")
DASK_MISSING = "the dask engine needs Dask distributed: pip install 'answer-grader[dask]'"


@dataclass(frozen=True)
class EngineOptions:
    backend: str = DEFAULT_BACKEND
    scheduler: str | None = None
    workers: int = 2
    partition_size: int = 200
    client: Any = None  # an existing dask.distributed.Client (tests, library use)
    on_partition_done: Callable[[int], None] | None = None  # answers done in a finished partition
    calibrator: Calibrator | None = None  # fills grades on the human scale
    settings: Settings | None = None  # read at the edge; None: Settings.from_env() there


@ENGINES.register("local")
def run_local(paths: Sequence[str], rubric: Rubric, config: RunConfig, options: EngineOptions,
              tools: Toolkit | None = None, progress: Callable | None = None) -> BatchResult:
    tools = tools or make_toolkit(options.backend, options.settings or Settings.from_env(), config.cache_dir,
                                  config.progress)
    return grade_paths(paths, rubric, config, tools, results=ResultCache(config.cache_dir) if config.cache_dir else None,
                       progress=progress, calibrator=options.calibrator)


@ENGINES.register("dask")
def run_dask(paths: Sequence[str], rubric: Rubric, config: RunConfig, options: EngineOptions,
             tools: Toolkit | None = None, progress: Callable | None = None) -> BatchResult:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise GraderError(DASK_MISSING) from None
    files, errors = expand_paths(list(paths), exclude=config.out_dir)
    failures = [InputFailure(path=e.path or "", message=str(e)) for e in errors]
    parts = partitions([f.as_posix() for f in files], options.partition_size, options.workers)
    cluster = client = None
    own = options.client is None
    try:
        if own:
            # A signal while the cluster starts would leave a half-built cluster we hold no handle to (its
            # finalizer then complains at exit): hold signals until both handles exist, then honour them.
            with _signals_deferred() as received:
                if options.scheduler:
                    client = Client(options.scheduler, set_as_default=False)
                else:
                    threads = str(max(1, (os.cpu_count() or 1) // max(1, options.workers)))
                    cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=40,
                                           env={"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads})
                    client = Client(cluster, set_as_default=False)
            if received:
                raise KeyboardInterrupt
        else:
            client = options.client
        futures = []
        try:
            rubric_vecs = client.submit(_rubric_vectors, rubric, options.backend, config.cache_dir, pure=False)
            [shared] = client.scatter([rubric_vecs.result()], broadcast=True)
            futures = [client.submit(_grade_partition, part, rubric, config, options.backend, shared, options.calibrator,
                                     pure=False, key=f"grade-partition-{i}") for i, part in enumerate(parts)]
            results: list[BatchResult] = []
            for fut in as_completed(futures, loop=client.loop):
                res = fut.result()
                results.append(res)
                if options.on_partition_done:
                    options.on_partition_done(len(res.reports) + len(res.failures))
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if own:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
    return BatchResult(
        reports=sorted((r for res in results for r in res.reports), key=lambda r: r.answer.path),
        failures=sorted(failures + [f for res in results for f in res.failures], key=lambda f: f.path),
        warnings=sorted((w for res in results for w in res.warnings), key=lambda w: (w.path, w.line)),
    )


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """Record SIGINT/SIGTERM instead of acting on them (main thread only; elsewhere a no-op)."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    sigs = (signal.SIGINT, signal.SIGTERM)
    old = {s: signal.signal(s, lambda signum, frame: received.append(signum)) for s in sigs}
    try:
        yield received
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def partitions(files: list[str], max_size: int, workers: int) -> list[list[str]]:
    """Contiguous slices of the sorted file list: at most `max_size` each, and at least two per worker when
    there are enough files, so work spreads over the cluster."""
    if not files:
        return []
    size = max(1, min(max_size, math.ceil(len(files) / (2 * max(1, workers)))))
    return [files[i:i + size] for i in range(0, len(files), size)]


class PrecomputedEmbedder:
    """An embedder that answers texts it was given vectors for and encodes only the rest (same fingerprint)."""

    def __init__(self, inner: Embedder, known: dict[str, np.ndarray]) -> None:
        self.inner, self.known = inner, known
        self.model_id, self.fingerprint, self.dim = inner.model_id, inner.fingerprint, inner.dim
        self.label = getattr(inner, "label", inner.model_id)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        todo = [t for t, k in zip(texts, keys) if k not in self.known]
        fresh = dict(zip((text_key(t) for t in todo), self.inner.encode(todo))) if todo else {}
        return np.stack([self.known.get(k, fresh.get(k)) for k in keys]) if texts else self.inner.encode(texts)


@functools.lru_cache(maxsize=4)
def _worker_toolkit(backend: str, cache_dir: str | None) -> Toolkit:
    """Once per worker process (and per backend/cache): the model is loaded a single time. A worker process is an
    edge of its own: it reads its settings (its OMP_NUM_THREADS share of the cores) from its environment."""
    return make_toolkit(backend, Settings.from_env(), cache_dir)


def _rubric_texts(rubric: Rubric) -> list[str]:
    return question_texts(rubric) + [kp.text for q in rubric.questions for _, kp in q.all_key_points()]


def _rubric_vectors(rubric: Rubric, backend: str, cache_dir: str | None) -> dict[str, np.ndarray]:
    tools = _worker_toolkit(backend, cache_dir)
    texts = _rubric_texts(rubric)
    table = embed_texts(texts, tools.embedder, tools.cache)
    return {text_key(t): v for t, v in zip(texts, table.matrix(texts))}


def _grade_partition(files: list[str], rubric: Rubric, config: RunConfig, backend: str,
                     rubric_vecs: dict[str, np.ndarray], calibrator: Any = None) -> BatchResult:
    tools = _worker_toolkit(backend, config.cache_dir)
    shipped = Toolkit(nlp=tools.nlp, embedder=PrecomputedEmbedder(tools.embedder, rubric_vecs), cache=tools.cache)
    results = ResultCache(config.cache_dir) if config.cache_dir else None
    return grade_paths(files, rubric, config, shipped, results=results, calibrator=calibrator)

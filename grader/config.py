"""Configuration read once, at the edge (the CLI or the public API), then passed down frozen.

Nothing below the edge reads the environment: `Settings.from_env()` is the one place that does. It is cheap
(no heavy import), so `--help` stays fast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Answer files over this many bytes are refused (about 300,000 words, far beyond any interview).
MAX_ANSWER_BYTES = 2_000_000


@dataclass(frozen=True)
class Settings:
    """Process-level settings: where caches and the ONNX export live, how many threads a backend may use."""

    cache_root: Path  # default --cache-dir: $XDG_CACHE_HOME/answer-grader, else ~/.cache/answer-grader
    onnx_dir: Path  # the ONNX model store: $GRADER_ONNX_DIR, else <cache_root>/onnx
    threads: int  # embedding threads: $OMP_NUM_THREADS when set (Dask workers get their share), else the CPUs

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default: the process environment).

        >>> s = Settings.from_env({"XDG_CACHE_HOME": "/c", "OMP_NUM_THREADS": "3"})
        >>> str(s.cache_root), str(s.onnx_dir), s.threads
        ('/c/answer-grader', '/c/answer-grader/onnx', 3)
        >>> str(Settings.from_env({"XDG_CACHE_HOME": "/c", "GRADER_ONNX_DIR": "/m"}).onnx_dir)
        '/m'
        """
        env = os.environ if environ is None else environ
        base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = Path(base) / "answer-grader"
        onnx = Path(env["GRADER_ONNX_DIR"]) if env.get("GRADER_ONNX_DIR") else root / "onnx"
        return cls(cache_root=root, onnx_dir=onnx, threads=_positive(env.get("OMP_NUM_THREADS")) or _cpus())


def _positive(value: str | None) -> int | None:
    try:
        n = int(value or "")
    except ValueError:
        return None
    return n if n > 0 else None


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1

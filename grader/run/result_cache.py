"""Graded reports on disk, so a rerun on unchanged answers costs reading them back, not grading again.

An entry's key is the SHA-256 of everything a report depends on: the answer as read (path, text, format, front
matter, timings), the run's config hash (rubric, embedding model and backend, time plan, grader version), the
`--question` flag, and a hash of the grader's own source code (so a code change never serves an old result).
A calibrated run's key also holds the calibration's fingerprint (a grade depends on it). Entries live beside the embedding
cache (`<cache-dir>/reports/`), one file each, written atomically; an entry whose bytes do not match its
checksum is ignored and recomputed. Safe to delete; safe to share between concurrent runs. The first store into
a sub-folder removes temporary files a killed run left there.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from pydantic import ValidationError

from grader.files import atomic_write, remove_stale_temps
from grader.models import Answer, Report

_FORMAT = "answer-grader-result-v1"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the grader package's Python sources (names and bytes), computed once per process."""
    root = Path(__file__).resolve().parents[1]  # the grader package
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class ResultCache:
    def __init__(self, root: str | Path) -> None:
        self.dir = Path(root) / "reports"
        self.corrupt: list[str] = []
        self.unwritable = False
        self._swept: set[Path] = set()

    def key(self, answer: Answer, config_hash: str, question_flag: str | None) -> str:
        blob = "\0".join([_FORMAT, code_fingerprint(), config_hash, question_flag or "", answer.model_dump_json()])
        return hashlib.sha256(blob.encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def load(self, key: str) -> Report | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        digest, _, body = data.partition(b"\n")
        try:
            if hashlib.sha256(body).hexdigest().encode() != digest:
                raise ValueError("checksum mismatch")
            return Report.model_validate_json(body)
        except (ValueError, ValidationError):
            self.corrupt.append(path.name)
            return None

    def store(self, key: str, report: Report) -> None:
        body = report.model_dump_json().encode()
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.parent not in self._swept:
                self._swept.add(path.parent)
                remove_stale_temps(path.parent)
            atomic_write(path, hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        except OSError:  # a cache that cannot be written costs speed, never a result
            self.unwritable = True

"""Report formats, registered by name: each may render one file per answer and/or one file per batch.

`FORMATS` is the single source of the `--format` choices and of every "unknown format" message. A batch
renderer gets the batch and a `BatchContext`: the file stem of every answer's reports (so summaries can link
to them) and the run's configuration (so they can show the thresholds).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.models import BatchResult, Report, RunConfig
from grader.registry import Registry


@dataclass(frozen=True)
class BatchContext:
    names: dict[str, str]  # answer path -> file stem of its reports
    config: RunConfig


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str | None = None  # per-answer file suffix
    render_answer: Callable[[Report], str] | None = None
    batch_file: str | None = None
    render_batch: Callable[[BatchResult, BatchContext], str] | None = None


FORMATS: Registry[Format] = Registry("report format")


def register(fmt: Format) -> Format:
    return FORMATS.register(fmt.name)(fmt)


def report_names(reports: list[Report]) -> dict[str, str]:
    """Answer path -> a safe, unique file stem in the output folder (no separators, no dot-dot)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for r in sorted(reports, key=lambda r: r.answer.path):
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(r.answer.path).stem).strip("._") or "answer"
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        names[r.answer.path] = name
    return names


def write_reports(result: BatchResult, formats: list[str], out_dir: str | Path,
                  config: RunConfig | None = None) -> list[Path]:
    """Write every requested format into `out_dir`, each file atomically; returns the paths written.
    `config` gives the thresholds that batch files (junit.xml, index.html) report against."""
    fmts = [FORMATS.get(f) for f in formats]
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GraderError(f"cannot create output folder: {exc.strerror or exc}", path=str(out)) from None
    names = report_names(result.reports)
    context = BatchContext(names=names, config=config or RunConfig())
    written: list[Path] = []
    for fmt in fmts:
        if fmt.render_answer is not None:
            for report in result.reports:
                written.append(_write(out, f"{names[report.answer.path]}{fmt.suffix}", fmt.render_answer(report)))
        if fmt.render_batch is not None and fmt.batch_file:
            written.append(_write(out, fmt.batch_file, fmt.render_batch(result, context)))
    return written


def _write(out: Path, name: str, text: str) -> Path:
    target = out / name
    if target.resolve().parent != out.resolve():
        raise GraderError(f"refusing to write outside the output folder: {name}")
    try:
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise GraderError(f"cannot write report: {exc.strerror or exc}", path=str(target)) from None
    return target


# Register the built-in formats (import for side effect, after the registry exists).
from grader.reports import csv_summary, html_report, json_report, junit, markdown  # noqa: E402,F401

"""Report formats, registered by name: each may render one file per answer and/or one file per batch.

`FORMATS` is the single source of the `--format` choices and of every "unknown format" message. A batch
renderer gets the batch and a `BatchContext`: the file stem of every answer's reports (so summaries can link
to them) and the run's configuration (so they can show the thresholds).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.embed import atomic_write
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
    """Answer path -> a safe, unique file stem in the output folder (no separators, no dot-dot). Stems are
    unique ignoring case (a case-insensitive filesystem must not merge two reports) and never a batch file's
    stem (an answer named summary.md must not have its report replaced by the batch's summary.md)."""
    names: dict[str, str] = {}
    used: set[str] = {Path(f.batch_file).stem.casefold() for f in map(FORMATS.get, FORMATS) if f.batch_file}
    for r in sorted(reports, key=lambda r: r.answer.path):
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(r.answer.path).stem).strip("._") or "answer"
        name, n = stem, 1
        while name.casefold() in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name.casefold())
        names[r.answer.path] = name
    return names


def write_reports(result: BatchResult, formats: list[str], out_dir: str | Path,
                  config: RunConfig | None = None) -> list[Path]:
    """Write every requested format into `out_dir`, each file atomically; returns the paths written.
    `config` gives the thresholds that batch files (junit.xml, index.html) report against. Nothing is written
    when a report would replace one of the batch's own input files (an --out folder that holds the answers)."""
    fmts = [FORMATS.get(f) for f in formats]
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GraderError(f"cannot create output folder: {exc.strerror or exc}", path=str(out)) from None
    names = report_names(result.reports)
    context = BatchContext(names=names, config=config or RunConfig())
    planned: list[tuple[str, Callable[[], str]]] = []
    for fmt in fmts:
        if fmt.render_answer is not None:
            for report in result.reports:
                planned.append((f"{names[report.answer.path]}{fmt.suffix}",
                                lambda fmt=fmt, report=report: fmt.render_answer(report)))
        if fmt.render_batch is not None and fmt.batch_file:
            planned.append((fmt.batch_file, lambda fmt=fmt: fmt.render_batch(result, context)))
    inputs = {os.path.realpath(p) for p in [r.answer.path for r in result.reports] + [f.path for f in result.failures]}
    for name, _ in planned:
        if os.path.realpath(out / name) in inputs:
            raise GraderError(f"refusing to replace an input file with its report: {name} is one of the answers "
                              f"graded; choose an --out folder that holds no answers", path=str(out))
    return [_write(out, name, render()) for name, render in planned]


def _write(out: Path, name: str, text: str) -> Path:
    target = out / name
    if target.resolve().parent != out.resolve():
        raise GraderError(f"refusing to write outside the output folder: {name}")
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        raise GraderError(f"cannot write report: {exc.strerror or exc}", path=str(target)) from None
    return target


def flag_count(r: Report) -> int:
    """What every summary counts as an answer's flags: timing flags plus mistakes."""
    return len(r.time_allocation.flags) + len(r.mistakes)


# Register the built-in formats (import for side effect, after the registry exists).
from grader.reports import csv_summary, html_report, json_report, junit, markdown  # noqa: E402,F401

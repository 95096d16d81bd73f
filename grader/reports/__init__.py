"""Report formats, registered by name: each may render one file per answer and/or one file per batch.

`FORMATS` is the single source of the `--format` choices and of every "unknown format" message. A batch
renderer gets the batch and a `BatchContext`: the file stem of every answer's reports (so summaries can link
to them) and the run's configuration (so they can show the thresholds).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from grader.files import atomic_write, remove_stale_temps
from grader.errors import GraderError
from grader.models import BatchResult, RunConfig
from grader.reports import csv_summary, html_report, json_report, junit, markdown  # noqa: F401  (register)
from grader.reports.base import FORMATS, BatchContext, Format, flag_count, register, report_names  # noqa: F401


def write_reports(result: BatchResult, formats: list[str], out_dir: str | Path,
                  config: RunConfig | None = None) -> list[Path]:
    """Write every requested format into `out_dir`, each file atomically; returns the paths written.
    `config` gives the thresholds that batch files (junit.xml, index.html) report against. Nothing is written
    when a report would replace one of the batch's own input files (an --out folder that holds the answers).
    Temporary files a killed run left in `out_dir` are removed first (`remove_stale_temps`)."""
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
    remove_stale_temps(out)
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

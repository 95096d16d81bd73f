"""The format registry: what a report format is (`Format`), the context batch renderers get, and helpers every
format shares. Format modules register here; `grader.reports` imports them all."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


def flag_count(r: Report) -> int:
    """What every summary counts as an answer's flags: timing flags plus mistakes."""
    return len(r.time_allocation.flags) + len(r.mistakes)

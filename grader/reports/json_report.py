"""The JSON report (contract): one file per answer; field order and float formatting are stable."""

from __future__ import annotations

from grader.models import Report
from grader.reports import Format, register


def render(report: Report) -> str:
    return report.model_dump_json(indent=2) + "\n"


register(Format("json", suffix=".json", render_answer=render))

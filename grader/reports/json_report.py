"""The JSON report (contract): one file per answer; field order and float formatting are stable.
`report_schema()` is its JSON Schema (`grader schema` prints it; tests validate reports against it)."""

from __future__ import annotations

from typing import Any

from grader.models import Report
from grader.reports.base import Format, register

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def render(report: Report) -> str:
    return report.model_dump_json(indent=2) + "\n"


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a report as written: unknown fields are refused."""
    schema = Report.model_json_schema(mode="serialization")
    return {"$schema": JSON_SCHEMA_DIALECT, **schema}


register(Format("json", suffix=".json", render_answer=render))

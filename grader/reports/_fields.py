"""Models shown as tables with one column per field (detectors, mistakes), shared by the Markdown and HTML
reports, so a field added to a model shows up in both without touching either."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel


def field_table(items: Sequence[BaseModel]) -> tuple[list[str], list[dict]]:
    """(column names in first-seen order, one dict per item as JSON values)."""
    rows = [item.model_dump(mode="json") for item in items]
    return list(dict.fromkeys(k for row in rows for k in row)), rows


def format_field(key: str, value: object, *, escape: Callable[[str], str], highlight: Callable[[str], str],
                 none: str) -> str:
    """One value as text: booleans as yes/no, lists and mappings joined, a field named like `evidence`
    highlighted, everything else escaped by the caller's `escape`."""
    if value is None:
        return none
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(format_field(key, v, escape=escape, highlight=highlight, none=none) for v in value) or none
    if isinstance(value, dict):
        return "; ".join(f"{escape(str(k))}: {format_field(str(k), v, escape=escape, highlight=highlight, none=none)}"
                         for k, v in value.items())
    return highlight(escape(str(value))) if "evidence" in key else escape(str(value))

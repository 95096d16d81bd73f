"""`junit.xml`: one test case per answer, for CI dashboards.

A graded answer passes unless it falls under `--fail-under` or a `--fail-under-dimension`; then it has a
`<failure>` whose message names the thresholds it missed and its weakest dimensions. An answer that could not
be graded has an `<error>`. No timestamps or durations, so the same batch gives the same bytes.

Valid against junit-10.xsd (Jenkins xUnit's schema, tests/data/junit-10.xsd), which allows no `file` attribute
on `<testcase>`: the answer's path is the test case's `name`, which every reporter shows.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.models import BatchResult, Report
from grader.reports.base import BatchContext, Format, register
from grader.reports.thresholds import breaches, weakest_dimensions

SUITE = "answer-grader"
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def failure_message(report: Report, ctx: BatchContext) -> str | None:
    """`overall 0.31 under 0.5; weakest: feedback_loops 0.20, …`, or None when the answer passes."""
    missed = breaches(report, ctx.config)
    if not missed:
        return None
    weak = ", ".join(f"{name} {score:.2f}" for name, score in weakest_dimensions(report))
    return "; ".join(str(b) for b in missed) + f"; weakest: {weak}"


def _scores(report: Report, stem: str) -> str:
    lines = [f"overall {report.overall.score:.4f}"]
    lines += [f"{name} {d.score:.4f}" for name, d in report.dimensions.items()]
    lines += [f"flag: {f}" for f in report.time_allocation.flags]
    lines += [f"mistake: {m.id}" for m in report.mistakes]
    lines.append(f"report: {stem}")
    return "\n".join(lines) + "\n"


def render(result: BatchResult, ctx: BatchContext) -> str:
    cases: list[tuple[str, ET.Element]] = []
    failures = 0
    for r in result.reports:
        case = ET.Element("testcase", {"classname": _x(f"{SUITE}.{r.answer.question_id}"),
                                       "name": _x(r.answer.path)})
        message = failure_message(r, ctx)
        if message is not None:
            failures += 1
            ET.SubElement(case, "failure", {"type": "threshold", "message": _x(message)})
        ET.SubElement(case, "system-out").text = _x(_scores(r, ctx.names[r.answer.path]))
        cases.append((r.answer.path, case))
    for f in result.failures:
        case = ET.Element("testcase", {"classname": f"{SUITE}.input", "name": _x(f.path)})
        ET.SubElement(case, "error", {"type": "not_graded", "message": _x(f.message)})
        cases.append((f.path, case))
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(len(result.failures))}
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts, "skipped": "0"})
    config = ctx.config
    props = [("fail_under", config.fail_under)] + [
        (f"fail_under_dimension.{name}", limit) for name, limit in config.fail_under_dimension.items()]
    props = [(k, v) for k, v in props if v is not None]
    if props:
        holder = ET.SubElement(suite, "properties")
        for key, value in props:
            ET.SubElement(holder, "property", {"name": _x(key), "value": f"{value:g}"})
    for _, case in sorted(cases, key=lambda c: c[0]):
        suite.append(case)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


register(Format("junit", batch_file="junit.xml", render_batch=render))

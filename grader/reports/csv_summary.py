"""`summary.csv`: one row per answer of the batch (graded or not), stable columns."""

from __future__ import annotations

import csv
import io

from grader.models import BatchResult
from grader.reports.base import BatchContext, Format, flag_count, register


def render(result: BatchResult, ctx: BatchContext) -> str:
    names = ctx.names
    dims = list(result.reports[0].dimensions) if result.reports else []
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "report", "question", "question_source", "overall", *dims, "flags", "grade", "language",
                "english_share", "error"])
    rows = [(r.answer.path, [r.answer.path, names[r.answer.path], r.answer.question_id, r.answer.question_source,
                             f"{r.overall.score:.4f}", *(f"{r.dimensions[d].score:.4f}" for d in dims),
                             flag_count(r),
                             "" if r.overall.grade is None else r.overall.grade, r.answer.language,
                             f"{r.answer.english_share:.2f}", ""])
            for r in result.reports]
    rows += [(f.path, [f.path, "", "", "", "", *("" for _ in dims), "", "", "", "", f.message])
             for f in result.failures]
    for _, row in sorted(rows, key=lambda x: x[0]):
        w.writerow(row)
    return buf.getvalue()


register(Format("csv", batch_file="summary.csv", render_batch=render))

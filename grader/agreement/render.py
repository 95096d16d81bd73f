"""Render agreement results: a plain-text table for the terminal and a self-contained HTML page.

Inputs are the models of `grader.models.agreement` (`AgreementReport`, `CalibrationSummary`), whose numbers are
already rounded as written; nothing here computes a metric.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

from grader.models import AgreementReport, CalibrationSummary, Confusion, Interval, MetricValues

COLUMNS = ("n", "qwk", "qwk_by_question", "pearson", "spearman", "rmse", "mae", "exact", "adjacent",
           "alpha_interval", "alpha_ordinal", "prmse", "bias", "smd")
_SHORT = {"qwk_by_question": "qwk/q", "alpha_interval": "α int", "alpha_ordinal": "α ord", "adjacent": "adj"}


def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float) and v.is_integer() and abs(v) >= 10:
        return f"{int(v)}"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _columns(rows: Sequence[MetricValues]) -> list[str]:
    return [c for c in COLUMNS if any(c in r for r in rows)]


def text_table(rows: Sequence[tuple[str, MetricValues]], *,
               intervals: Mapping[str, Mapping[str, Interval]] | None = None) -> str:
    """Aligned columns: one row per (label, metrics); bootstrap intervals shown under their metric."""
    cols = _columns([m for _, m in rows])
    header = ["", *(_SHORT.get(c, c) for c in cols)]
    body = []
    for label, m in rows:
        cells = [label]
        for c in cols:
            value = m.get(c)
            cell = str(int(value)) if c == "n" and value is not None else _fmt(
                None if value is None else float(value))
            ci = (intervals or {}).get(label, {}).get(c)
            if ci and all(x is not None and math.isfinite(x) for x in ci):
                cell += f" [{ci[0]:.2f},{ci[1]:.2f}]"
            cells.append(cell)
        body.append(cells)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(header), *map(fmt, body)])


def calibrate_text(summary: CalibrationSummary) -> str:
    scale, cv = summary.scale, summary.cv
    lines = [f"{summary.dataset}: {summary.answers} answers, {summary.questions} questions, scale "
             f"{scale.min:g}-{scale.max:g} {scale.type}; "
             f"{cv.folds}-fold CV, group by {cv.group_by}, seed {cv.seed}"]
    for dim, d in summary.dimensions.items():
        splits = d.official_splits or {}
        rows = [("out-of-fold", d.metrics)]
        if len(d.by_variant) > 1:
            rows += [(f"  {v}", m) for v, m in d.by_variant.items()]
        rows += [(f"split {s}", m) for s, m in splits.items()]
        lines += ["", f"[{dim}]", text_table(rows, intervals={"out-of-fold": d.intervals})]
        for s, m in splits.items():
            if "accuracy" in m:
                lines.append(f"split {s}: accuracy {m['accuracy']:.3f}, weighted F1 {m['weighted_f1']:.3f} "
                             f"(majority class {m['majority_accuracy']:.3f})")
        if d.raters is not None:
            lines += ["humans and grader (each against the consensus of the humans other than itself):",
                      text_table([(r, e.metrics) for r, e in d.raters.raters.items()])]
        chosen = ", ".join(f"{v}: " + "/".join(f"{k}×{n}" for k, n in c.items())
                           for v, c in d.models_chosen.items())
        if chosen:
            lines.append(f"models chosen per fold: {chosen}")
    return "\n".join(lines) + "\n"


def agree_text(report: AgreementReport) -> str:
    lines = [f"{report.source}: scale {report.scale.min:g}-{report.scale.max:g} "
             f"{report.scale.type}; machines: {', '.join(report.machines) or 'none'}"]
    for dim, d in report.dimensions.items():
        alpha = d.human_alpha
        lines += ["", f"[{dim}] {d.items} items"
                  + (f"; human alpha interval {_fmt(alpha.interval)}, ordinal {_fmt(alpha.ordinal)}"
                     if alpha is not None else "")]
        rows = [(r, e.metrics) for r, e in d.raters.items()]
        if rows:
            lines.append(text_table(rows, intervals={r: e.intervals for r, e in d.raters.items()}))
        if d.pairs:
            lines.append("pairs: " + "; ".join(f"{p} qwk {_fmt(m.get('qwk'))} r {_fmt(m.get('pearson'))}"
                                               for p, m in d.pairs.items()))
    for f in report.failures:
        lines.append(f"FAIL {f}")
    return "\n".join(lines) + "\n"


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _confusion_html(conf: Confusion) -> str:
    labels = [f"{v:g}" for v in conf.labels]
    m = conf.rows_human_columns_rater
    top = max((c for row in m for c in row), default=0) or 1
    rows = []
    for lab, row in zip(labels, m):
        cells = [f"<th>{_e(lab)}</th>"]
        for j, c in enumerate(row):
            shade = 0.08 + 0.6 * c / top
            cells.append(f'<td style="background:rgba(37,99,235,{shade:.2f})">{c}</td>')
        rows.append("".join(cells))
    head = "<tr><th>human \\ rater</th>" + "".join(f"<th>{_e(x)}</th>" for x in labels) + "</tr>"
    return "<table class=conf>" + head + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def agree_html(report: AgreementReport) -> str:
    """A self-contained page (inline CSS, no script); every value from the input is escaped."""
    parts = [f"<h1>Agreement: {_e(report.source)}</h1>",
             f"<p>Scale {report.scale.min:g}–{report.scale.max:g} ({_e(report.scale.type)}); "
             f"machines: {_e(', '.join(report.machines) or 'none')}. Each human is compared with the mean of the "
             "other humans, each machine with the mean of all humans. Intervals: bootstrap 95%.</p>"]
    for f in report.failures:
        parts.append(f"<p class=fail>FAIL {_e(f)}</p>")
    for dim, d in report.dimensions.items():
        parts.append(f"<h2>{_e(dim)} <small>({d.items} items)</small></h2>")
        if d.human_alpha is not None:
            parts.append(f"<p>Human–human Krippendorff's alpha: interval {_fmt(d.human_alpha.interval)}, "
                         f"ordinal {_fmt(d.human_alpha.ordinal)}</p>")
        cols = _columns([e.metrics for e in d.raters.values()])
        rows = []
        for r, e in d.raters.items():
            cells = [_e(r), _e(e.kind)]
            for c in cols:
                ci = e.intervals.get(c)
                extra = (f" <small>[{ci[0]:.2f}, {ci[1]:.2f}]</small>"
                         if ci and all(x is not None and math.isfinite(x) for x in ci) else "")
                cells.append(_e(_fmt(e.metrics.get(c))) + extra)
            rows.append(cells)
        parts.append(_html_table(["rater", "kind", *cols], rows))
        for r, e in d.raters.items():
            parts.append(f"<h3>{_e(r)}</h3>")
            band_rows = [[_e(b.band), _e(b.n), _e(_fmt(b.mae)), _e(_fmt(b.bias)), _e(_fmt(b.exact))]
                         for b in e.bands]
            parts.append("<p>By score band (human grade):</p>"
                         + _html_table(["band", "n", "mae", "bias", "exact"], band_rows))
            if e.confusion is not None:
                parts.append("<p>Confusion (rows human, columns this rater):</p>" + _confusion_html(e.confusion))
            if e.largest_disagreements:
                parts.append("<p>Largest disagreements:</p>" + _html_table(
                    ["item", "human", "rater"], [[_e(w.item), _e(_fmt(w.human, 2)), _e(_fmt(w.rater, 2))]
                                                 for w in e.largest_disagreements]))
        if d.pairs:
            parts.append("<h3>Pairs of raters</h3>" + _html_table(
                ["pair", "n", "qwk", "pearson", "exact", "adjacent"],
                [[_e(p), *(_e(_fmt(m.get(k))) for k in ("n", "qwk", "pearson", "exact", "adjacent"))]
                 for p, m in d.pairs.items()]))
    style = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#111}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;"
             "text-align:right}td:first-child,th:first-child{text-align:left}.fail{color:#b91c1c;font-weight:bold}"
             "small{color:#555}")
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Agreement</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")

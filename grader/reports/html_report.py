"""HTML: a self-contained page per answer and `index.html` for the batch.

Self-contained: inline CSS and SVG only, no external asset, opens offline. The per-answer page has no script
at all and its Content-Security-Policy forbids any; the index has one small inline script (a sortable table)
and its policy allows that script only, by hash. Every answer-derived string goes through `html.escape`, so
markup in an answer shows as text; the policy is a second wall, not the first.

Detectors and mistakes are rendered from their model fields, whatever those are, so fields added to
`DetectorHit` or `MistakeHit` show up without touching this file; a `description` (a detector's spec) is no
column but a disclosure under the row's first cell.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from pydantic import BaseModel

from grader.models import BatchResult, Report
from grader.reports.base import BatchContext, Format, flag_count, register
from grader.reports._charts import bar_chart, e, histogram, label, score_color, stage_color, timeline
from grader.reports._fields import field_table, format_field
from grader.reports.thresholds import breaches, describe_thresholds, has_thresholds

CSS = """
:root{--fg:#1d2330;--muted:#5d6677;--line:#d9dde5;--bg:#fff;--soft:#f4f6f9;--low:#c8553d;--mid:#e0a030;
--high:#2f8f5b}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);
background:var(--bg)}
main{max-width:960px;margin:0 auto;padding:24px 20px 48px}
main.wide{max-width:1440px}
.scroll{overflow-x:auto}
td.status{min-width:210px;font-size:.85rem}
td.path{min-width:12em;max-width:24em;overflow-wrap:break-word}
td .meter{min-width:70px}
h1{font-size:1.45rem;margin:.1em 0 .2em;word-break:break-all}
h2{font-size:1.15rem;margin:2em 0 .6em;padding-bottom:.25em;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:0}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:.75rem;color:var(--muted);margin:0}
.meta,.muted,.none{color:var(--muted)}
.overall{display:flex;gap:24px;align-items:center;background:var(--soft);border-radius:10px;padding:16px 20px;
margin-top:16px}
.big{font-size:2.6rem;font-weight:700;line-height:1}
.meter{height:10px;background:#e6e9ef;border-radius:5px;overflow:hidden;min-width:120px}
.meter>span{display:block;height:100%}
.overall .meter{flex:1;height:14px;border-radius:7px}
svg.chart{width:100%;height:auto;display:block;font-size:12px}
svg .grid{stroke:#e3e6ec}svg .axis{stroke:#9aa1ad}svg .tick{fill:var(--muted);font-size:11px}
svg .label{fill:var(--fg)}svg .value{fill:var(--fg);font-weight:600}
svg .in-bar{fill:#fff;font-size:11px;font-weight:600}
svg .mean{stroke:var(--fg);stroke-dasharray:3 3}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:.4em 0;font-size:.85rem;color:var(--muted);padding:0}
.legend li{list-style:none}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.flags li{color:#8a4b00}
.warn{background:#fff4e0;border-left:4px solid var(--mid);padding:8px 12px;margin:10px 0}
.stage{border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:10px 0}
.stage header{display:flex;justify-content:space-between;gap:12px;align-items:baseline}
.stage .meter{margin:8px 0}
.points{margin:.3em 0 0;padding-left:1.3em}
.points li::marker{font-weight:700}
.matched li::marker{content:"✓  ";color:var(--high)}
.missing li::marker{content:"✗  ";color:var(--low)}
mark{background:#fff1b8;padding:0 2px}
blockquote{margin:.3em 0 .6em;padding:.2em .8em;border-left:3px solid var(--line)}
tr.off td{color:var(--muted)}
.badge{display:inline-block;padding:0 6px;border-radius:9px;font-size:.78rem;font-weight:600;color:#fff}
.badge.pass{background:var(--high)}.badge.fail{background:var(--low)}
footer{margin-top:3em;font-size:.8rem;color:var(--muted)}
code{font-size:.85em}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit;
text-align:inherit}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
.dists{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:14px}
.dists figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:8px}
.dists figcaption{font-size:.85rem;font-weight:600}
a{color:#2b5fad}
details.spec summary{cursor:pointer;white-space:nowrap}
details.spec p{margin:.3em 0 .2em;min-width:16em;font-size:.8rem;color:var(--muted)}
""".strip()

# Sorts the index table when a header's button is pressed; numbers by value, empty cells last.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.querySelector("button").addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var num = th.dataset.type === "number", body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value;
        if (x === "" || y === "") { return (x === "") - (y === ""); }
        var c = num ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
""".strip()


_TIME_NOTE = {
    "words": "Share of the answer per stage (minutes estimated from words, so the total is only indicative),",
    "timestamps": "Minutes per stage, from the answer's timestamps,",
}


_WIDE = ' class="wide"'


def _page(title: str, body: str, script: str | None = None, wide: bool = False) -> str:
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    if script:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        csp += f"; script-src 'sha256-{digest}'"
    tail = f"<script>{script}</script>\n" if script else ""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
            f"<main{_WIDE if wide else ''}>\n{body}\n</main>\n"
            f"{tail}</body>\n</html>\n")


def _path(path: str) -> str:
    """An escaped path that may wrap after each slash."""
    return e(path).replace("/", "/<wbr>")


def _meter(score: float) -> str:
    pct = max(0.0, min(1.0, score)) * 100
    return f'<div class="meter"><span style="width:{pct:.1f}%;background:{score_color(score)}"></span></div>'


def _grade(grade: float | None) -> str:
    return "" if grade is None else f" · grade <strong>{grade:g}</strong>"


_ASIDE = "description"  # a field shown under the row's first cell (click its value to read it), not as a column


def records_table(items: Sequence[BaseModel], *, css_class: str, empty: str) -> str:
    """A table of models, one column per field (in first-seen order): evidence highlighted, a row whose
    `hit` is false greyed out, a non-empty `description` folded under the row's first cell."""
    if not items:
        return f'<p class="none">{e(empty)}</p>'
    keys, rows = field_table(items)
    keys = [k for k in keys if k != _ASIDE]
    out = [f'<table class="{css_class}">', "<thead><tr>" + "".join(f'<th scope="col">{e(label(k))}</th>'
                                                                   for k in keys) + "</tr></thead>", "<tbody>"]
    for r in rows:
        off = ' class="off"' if r.get("hit") is False else ""
        cells = [_field(k, r.get(k)) for k in keys]
        aside = r.get(_ASIDE)
        if aside and cells:
            cells[0] = f'<details class="spec"><summary>{cells[0]}</summary><p>{e(str(aside))}</p></details>'
        out.append(f"<tr{off}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _field(key: str, value: object) -> str:
    return format_field(key, value, escape=e, highlight=lambda t: f"<mark>{t}</mark>",
                        none='<span class="muted">—</span>')


def _language_warning(r: Report) -> list[str]:
    """A warning banner when the answer is mostly not English (its scores are unreliable)."""
    if not any(m.id == "not_english" for m in r.mistakes):
        return []
    a = r.answer
    return [f'<p class="warn" role="alert"><strong>Scores unreliable:</strong> this answer is mostly not in English '
            f'(language {e(a.language)}, English {a.english_share:.0%} of the text); the model and the detectors '
            f'read English only.</p>']


def render(r: Report) -> str:
    a, t = r.answer, r.time_allocation
    source = a.question_source.replace("_", " ") + (f", margin {a.question_margin:.3f}"
                                                    if a.question_margin is not None else "")
    parts = [
        '<header>\n<p class="kicker">answer-grader report</p>',
        f"<h1>{_path(a.path)}</h1>",
        f'<p class="meta">Question <strong>{e(a.question_id)}</strong> (from {e(source)}) · {a.words} words · '
        f'language {e(a.language)} (English {a.english_share:.0%})</p>',
        *_language_warning(r),
        "</header>",
        '<section class="overall" id="overall">',
        f'<div><div class="big" data-score="{r.overall.score:.4f}">{r.overall.score:.2f}</div>'
        f'<div class="muted">overall, 0–1</div></div>' if r.overall.grade is None else
        f'<div><div class="big" data-score="{r.overall.score:.4f}">{r.overall.grade:g}</div>'
        f'<div class="muted">overall grade on {e(r.overall.scale or "")} · raw score {r.overall.score:.2f}</div></div>',
        _meter(r.overall.score),
        "</section>",
        '<section id="dimensions">\n<h2>Dimensions</h2>',
        bar_chart([(name, d.score) for name, d in r.dimensions.items()], title="Score per dimension, 0 to 1"),
        "</section>",
        '<section id="time">\n<h2>Time allocation</h2>',
        f'<p class="muted">{_TIME_NOTE[t.source]} against the <code>{e(t.plan_name)}</code> plan.</p>',
        timeline(list(t.plan) + [s for s in t.minutes if s not in t.plan],
                 [(f"plan ({t.plan_name})", t.plan), ("this answer", t.minutes)], share=t.source == "words",
                 title="Time per stage: the plan against this answer"),
        '<ul class="legend">' + "".join(
            f'<li><span class="swatch" style="background:{stage_color(i)}"></span>{e(label(s))}</li>'
            for i, s in enumerate(t.plan)) + "</ul>",
    ]
    parts.append('<ul class="flags">' + "".join(f"<li>{e(f)}</li>" for f in t.flags) + "</ul>"
                 if t.flags else '<p class="none">No timing flags.</p>')
    parts += ["</section>", '<section id="stages">\n<h2>Stages</h2>']
    for s in r.sections:
        how = s.method + (f" “{e(s.heading)}”" if s.heading else "")
        parts += [f'<article class="stage" data-stage="{e(s.stage)}">',
                  f"<header><h3>{e(label(s.stage))}</h3><span class=\"muted\">{how} · {s.words} words · "
                  f"coverage <strong>{s.coverage:.2f}</strong></span></header>",
                  _meter(s.coverage)]
        if s.matched_points:
            parts.append('<ul class="points matched">' + "".join(f"<li>{e(p)}</li>" for p in s.matched_points)
                         + "</ul>")
        if s.missing_points:
            parts.append('<ul class="points missing">' + "".join(f"<li>{e(p)}</li>" for p in s.missing_points)
                         + "</ul>")
        parts.append("</article>")
    parts += ["</section>",
              '<section id="detectors">\n<h2>Concept detectors</h2>',
              records_table(r.detectors, css_class="detectors", empty="No detector results in this report."),
              "</section>",
              '<section id="mistakes">\n<h2>Mistakes and penalties</h2>',
              records_table(r.mistakes, css_class="mistakes", empty="No mistakes reported."),
              "</section>",
              '<section id="evidence">\n<h2>Evidence per dimension</h2>']
    for name, d in r.dimensions.items():
        parts.append(f"<h3>{e(label(name))} <span class=\"muted\">{d.score:.2f}{_grade(d.grade)}</span></h3>")
        parts += [f"<blockquote>{e(x)}</blockquote>" for x in d.evidence] or [
            '<p class="none">No matched key point.</p>']
    parts += ["</section>",
              f"<footer>Model {e(r.model)} · config {e(r.config_hash)} · answer-grader {e(r.grader_version)} · "
              f"report schema {e(r.schema_version)}</footer>"]
    return _page(f"{a.path}: {r.overall.score:.2f}", "\n".join(parts))


def render_index(result: BatchResult, ctx: BatchContext) -> str:
    reports, config = result.reports, ctx.config
    dims = list(reports[0].dimensions) if reports else []
    gated = has_thresholds(config)
    under = [r for r in reports if breaches(r, config)]
    mean = sum(r.overall.score for r in reports) / len(reports) if reports else 0.0
    summary = f"{len(reports)} graded, {len(result.failures)} not graded"
    if reports:
        summary += f" · mean overall {mean:.2f}"
    if gated:
        summary += f" · {len(under)} under thresholds ({e(describe_thresholds(config))})"
    parts = ['<header>\n<p class="kicker">answer-grader</p>\n<h1>Batch summary</h1>',
             f'<p class="meta">{summary}</p>\n</header>']
    if reports:
        parts += ['<section id="distributions">\n<h2>Score distributions</h2>', '<div class="dists">']
        for name, scores in [("overall", [r.overall.score for r in reports])] + [
                (d, [r.dimensions[d].score for r in reports]) for d in dims]:
            parts.append(f'<figure data-dimension="{e(name)}"><figcaption>{e(label(name))}</figcaption>'
                         f"{histogram(scores, title=f'Distribution of {label(name)} scores')}</figure>")
        parts += ["</div>", "</section>", '<section id="answers">\n<h2>Answers</h2>',
                  _answers_table(reports, dims, ctx), "</section>"]
    if result.failures:
        parts += ['<section id="not-graded">\n<h2>Not graded</h2>', "<ul>"]
        parts += [f"<li>{e(f.message)}</li>" for f in result.failures]
        parts += ["</ul>", "</section>"]
    return _page("answer-grader: batch summary", "\n".join(parts), script=SORT_SCRIPT if reports else None,
                 wide=True)


def _answers_table(reports: list[Report], dims: list[str], ctx: BatchContext) -> str:
    config = ctx.config
    gated = has_thresholds(config)
    cols = [("answer", "text"), ("question", "text"), ("overall", "number")] + [(d, "number") for d in dims] + [
        ("flags", "number"), ("grade", "number")] + ([("status", "text")] if gated else [])
    num = ' class="num"'
    head = "".join(f'<th scope="col" data-type="{kind}"{num if kind == "number" else ""}>'
                   f'<button type="button">{e(label(name))}</button></th>' for name, kind in cols)
    out = ['<div class="scroll"><table class="sortable" id="answers-table">', f"<thead><tr>{head}</tr></thead>",
           "<tbody>"]
    for r in reports:
        href = e(f"{ctx.names[r.answer.path]}.html")
        flags = flag_count(r)
        grade = "" if r.overall.grade is None else f"{r.overall.grade:g}"
        cells = [f'<td class="path" data-value="{e(r.answer.path)}"><a href="{href}">{_path(r.answer.path)}</a></td>',
                 f'<td data-value="{e(r.answer.question_id)}">{e(r.answer.question_id)}</td>',
                 f'<td class="num" data-value="{r.overall.score:.4f}"><strong>{r.overall.score:.2f}</strong>'
                 f"{_meter(r.overall.score)}</td>"]
        cells += [f'<td class="num" data-value="{r.dimensions[d].score:.4f}">{r.dimensions[d].score:.2f}</td>'
                  for d in dims]
        cells += [f'<td class="num" data-value="{flags}">{flags}</td>',
                  f'<td class="num" data-value="{grade}">{grade or "—"}</td>']
        if gated:
            miss = breaches(r, config)
            text = "; ".join(str(b) for b in miss)
            cells.append(f'<td class="status" data-value="{"fail" if miss else "pass"}">'
                         + (f'<span class="badge fail">fail</span> {e(text)}' if miss
                            else '<span class="badge pass">pass</span>') + "</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


register(Format("html", suffix=".html", render_answer=render, batch_file="index.html", render_batch=render_index))

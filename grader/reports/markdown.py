"""Markdown: a readable report per answer and `summary.md` for the batch. Answer-derived text is escaped so
that a Markdown renderer shows it as text (no raw HTML, no links, no emphasis injected by an answer)."""

from __future__ import annotations

import html
import re

from grader.models import BatchResult, Report
from grader.reports.base import BatchContext, Format, flag_count, register
from grader.reports.thresholds import breaches, describe_thresholds, has_thresholds

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def esc(text: str) -> str:
    """Escape answer text for Markdown: HTML entities, then Markdown punctuation, one line."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))


def _bar(score: float, width: int = 20) -> str:
    filled = round(score * width)
    return "█" * filled + "░" * (width - filled)


def _language_warning(r: Report) -> list[str]:
    """A warning first thing in the report when the answer is mostly not English (its scores are unreliable)."""
    if not any(m.id == "not_english" for m in r.mistakes):
        return []
    return [f"> **Scores unreliable:** this answer is mostly not in English (language `{r.answer.language}`, "
            f"English {r.answer.english_share:.0%} of the text); the model and the detectors read English only.", ""]


def render(r: Report) -> str:
    lines = [
        f"# Grading report: {esc(r.answer.path)}",
        "",
        *_language_warning(r),
        _question_line(r),
        f"- Words: {r.answer.words}; language: {r.answer.language} (English {r.answer.english_share:.0%})",
        f"- **Overall: {r.overall.score:.2f}**" if r.overall.grade is None else
        f"- **Overall: grade {r.overall.grade:g}** on {r.overall.scale} (raw score {r.overall.score:.2f})",
        f"- Model: {esc(r.model)}; config {r.config_hash}; grader {r.grader_version}",
        "",
        "## Dimensions",
        "",
    ]
    if r.overall.grade is None:
        lines += ["| dimension | score | |", "|---|---:|---|"]
        lines += [f"| {name} | {d.score:.2f} | `{_bar(d.score)}` |" for name, d in r.dimensions.items()]
    else:
        lines += ["| dimension | grade | raw score | |", "|---|---:|---:|---|"]
        lines += [f"| {name} | {'' if d.grade is None else f'{d.grade:g}'} | {d.score:.2f} | `{_bar(d.score)}` |"
                  for name, d in r.dimensions.items()]
    lines += ["", "## Stages", ""]
    for s in r.sections:
        head = f" — heading \"{esc(s.heading)}\"" if s.heading else ""
        conf = f", confidence {s.confidence:.2f}" if s.method == "inferred" and s.confidence is not None else ""
        lines.append(f"### {s.stage}: coverage {s.coverage:.2f} ({s.method}{conf}{head}, {s.words} words)")
        lines.append("")
        lines += [f"- ✅ {esc(p)}" for p in s.matched_points]
        lines += [f"- ❌ {esc(p)}" for p in s.missing_points]
        lines.append("")
    t = r.time_allocation
    source = "timestamps" if t.source == "timestamps" else "words at the rubric's speaking rate (estimated)"
    lines += ["## Time allocation", "",
              f"From {source}, against the `{t.plan_name}` plan; {t.total_minutes:.1f} minutes in all.", "",
              "| stage | minutes | share | plan |", "|---|---:|---:|---:|"]
    lines += [f"| {s} | {t.minutes[s]:.1f} | {t.share.get(s, 0.0):.0%} | {t.plan[s]:g} |" for s in t.minutes]
    lines += [""] + ([f"- ⚠️ {esc(f)}" for f in t.flags] or ["No flags."]) + [""]
    if t.timeline:
        lines += ["### Timeline", "", "| from | to | stage | words |", "|---:|---:|---|---:|"]
        lines += [f"| {e.start:.1f} | {e.end:.1f} | {e.stage or '(none)'} | {e.words} |" for e in t.timeline]
        lines.append("")
    lines += ["## Flags", ""]
    for m in r.mistakes:
        cut = f"−{m.deduction:.0%} on {', '.join(m.dimensions)}" if m.deduction else "no deduction"
        lines.append(f"- ⚠️ **{m.id}** ({m.source}; {cut}): {esc(m.evidence)}")
        if m.advice:
            lines.append(f"  - Advice: {esc(m.advice)}")
    if not r.mistakes:
        lines.append("No flags.")
    lines += ["", "## Concepts", ""]
    if r.detectors:
        lines += ["| concept | hit | credit | stage | evidence |", "|---|---|---:|---|---|"]
        for h in r.detectors:
            mark = "✅" if h.hit else ("🚫 negated" if h.negated else f"◽ {esc(h.note)}")
            lines.append(f"| {h.id} | {mark} | {h.credit:.2f} | {h.stage or '—'} | {esc(h.evidence[:140])} |")
        lines += _concept_specs(r)
    else:
        lines.append("No concept mentioned.")
    lines += ["", "## Evidence", ""]
    for name, d in r.dimensions.items():
        for e in d.evidence:
            lines.append(f"- {name}: “{esc(e)}”")
    return "\n".join(lines).rstrip() + "\n"


def _concept_specs(r: Report) -> list[str]:
    """Under the concepts table: what each listed concept means (the rubric's description), when it has one."""
    specs = [f"- **{h.id}**: {esc(h.description)}" for h in r.detectors if h.description]
    return ["", "What each concept means (the rubric's spec):", "", *specs] if specs else []


def _question_line(r: Report) -> str:
    a = r.answer
    if a.question_source == "unknown":
        return (f"- Question: unknown, graded with the generic stage rubric (closest `{a.question_guess}`, "
                f"similarity {a.question_similarity or 0.0:.3f}, margin {a.question_margin or 0.0:.3f})")
    margin = f", margin {a.question_margin:.3f}" if a.question_margin is not None else ""
    return f"- Question: `{a.question_id}` (from {a.question_source.replace('_', ' ')}{margin})"


def render_summary(result: BatchResult, ctx: BatchContext) -> str:
    names = ctx.names
    dims = list(result.reports[0].dimensions) if result.reports else []
    gated = has_thresholds(ctx.config)
    under = [r for r in result.reports if breaches(r, ctx.config)] if gated else []
    head = f"{len(result.reports)} graded, {len(result.failures)} not graded."
    if gated:
        head += f" {len(under)} under {describe_thresholds(ctx.config)}."
    lines = ["# Batch summary", "", head, ""]
    if result.reports:
        lines += ["| answer | question | overall | " + " | ".join(dims) + " | flags |" + (" status |" if gated else ""),
                  "|---|---|---:|" + "---:|" * len(dims) + "---:|" + ("---|" if gated else "")]
        for r in result.reports:
            cells = " | ".join(f"{r.dimensions[d].score:.2f}" for d in dims)
            row = (f"| [{esc(r.answer.path)}]({names[r.answer.path]}.md) | {r.answer.question_id} | "
                   f"{r.overall.score:.2f} | {cells} | {flag_count(r)} |")
            if gated:
                miss = breaches(r, ctx.config)
                row += f" {'fail: ' + '; '.join(str(b) for b in miss) if miss else 'pass'} |"
            lines.append(row)
        lines.append("")
    if result.failures:
        lines += ["## Not graded", ""] + [f"- {esc(f.message)}" for f in result.failures] + [""]
    return "\n".join(lines).rstrip() + "\n"


register(Format("md", suffix=".md", render_answer=render, batch_file="summary.md", render_batch=render_summary))

"""Inline SVG charts for the HTML reports: plain strings with no script and no external asset; every label is
escaped. Coordinates are printed with one decimal, so the same scores give the same bytes."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

#: One colour per stage, in stage order (Tableau 10); stages past ten reuse them.
STAGE_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f", "#edc948",
                "#bab0ac", "#ff9da7")
LOW, MID, HIGH = "#c8553d", "#e0a030", "#2f8f5b"


def e(value: object) -> str:
    """Escape for HTML text and attribute values."""
    return escape(str(value), quote=True)


def score_color(score: float) -> str:
    return LOW if score < 0.4 else MID if score < 0.6 else HIGH


def stage_color(index: int) -> str:
    return STAGE_COLORS[index % len(STAGE_COLORS)]


def label(identifier: str) -> str:
    """`data_intuition` -> `data intuition`."""
    return identifier.replace("_", " ")


def _f(x: float) -> str:
    return f"{x:.1f}"


def _open(css_class: str, width: float, height: float, title: str) -> list[str]:
    return [f'<svg class="chart {css_class}" viewBox="0 0 {_f(width)} {_f(height)}" role="img" '
            f'aria-label="{e(title)}" xmlns="http://www.w3.org/2000/svg">', f"<title>{e(title)}</title>"]


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, width: float = 680, label_width: float = 190,
              row: float = 30) -> str:
    """Horizontal bars on a 0..1 scale, one per (name, score), with gridlines at quarters and the value."""
    plot = width - label_width - 56
    top, height = 4.0, row * len(rows) + 26
    out = _open("bars", width, height, title)
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_width + t * plot
        out.append(f'<line class="grid" x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(top + row * len(rows))}"/>')
        out.append(f'<text class="tick" x="{_f(x)}" y="{_f(height - 4)}" text-anchor="middle">{t:g}</text>')
    for i, (name, score) in enumerate(rows):
        y = top + i * row
        w = max(0.0, min(1.0, score)) * plot
        out.append(f'<text class="label" x="{_f(label_width - 10)}" y="{_f(y + row / 2 + 4)}" '
                   f'text-anchor="end">{e(label(name))}</text>')
        out.append(f'<rect class="bar" data-name="{e(name)}" data-score="{score:.4f}" x="{_f(label_width)}" '
                   f'y="{_f(y + 6)}" width="{_f(w)}" height="{_f(row - 12)}" rx="3" fill="{score_color(score)}">'
                   f"<title>{e(label(name))}: {score:.2f}</title></rect>")
        out.append(f'<text class="value" x="{_f(label_width + w + 6)}" y="{_f(y + row / 2 + 4)}">{score:.2f}</text>')
    out.append("</svg>")
    return "\n".join(out)


def timeline(stages: Sequence[str], rows: Sequence[tuple[str, dict[str, float]]], *, title: str,
             share: bool = False, width: float = 680, label_width: float = 150, row: float = 34) -> str:
    """Stacked horizontal bars, one per (row label, minutes per stage), so an answer's allocation lines up
    against the plan's. On one minute scale, or with `share` each row as shares of its own total (for minutes
    estimated from words, whose total says little); the total in minutes is printed at the end of each row."""
    totals = [sum(m.get(s, 0.0) for s in stages) for _, m in rows]
    plot = width - label_width - 80
    top, height = 4.0, row * len(rows) + 26
    out = _open("timeline", width, height, title)
    if share:
        ticks = [(plot * t, f"{t:.0%}") for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
    else:
        longest = max(totals + [1e-9])
        ticks = [(plot * t / longest, f"{t:g} min") for t in _minute_ticks(longest)]
    for x, text in ticks:
        x += label_width
        out.append(f'<line class="grid" x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(top + row * len(rows))}"/>')
        out.append(f'<text class="tick" x="{_f(x)}" y="{_f(height - 4)}" text-anchor="middle">{e(text)}</text>')
    for i, ((row_label, minutes), total) in enumerate(zip(rows, totals)):
        y = top + i * row
        scale = plot / (total if share else max(totals + [1e-9])) if total > 0 else 0.0
        out.append(f'<text class="label" x="{_f(label_width - 10)}" y="{_f(y + row / 2 + 4)}" '
                   f'text-anchor="end">{e(row_label)}</text>')
        x = label_width
        for j, stage in enumerate(stages):
            m = minutes.get(stage, 0.0)
            if m <= 0:
                continue
            w = m * scale
            shown = f"{m / total:.0%}" if share else f"{m:.1f}"
            out.append(f'<rect class="segment" data-stage="{e(stage)}" data-minutes="{m:g}" x="{_f(x)}" '
                       f'y="{_f(y + 5)}" width="{_f(w)}" height="{_f(row - 10)}" fill="{stage_color(j)}">'
                       f"<title>{e(label(stage))}: {m:g} min ({m / total:.0%})</title></rect>")
            if w >= 30:
                out.append(f'<text class="in-bar" x="{_f(x + w / 2)}" y="{_f(y + row / 2 + 4)}" '
                           f'text-anchor="middle">{shown}</text>')
            x += w
        text = f"{total:.1f} min" if total > 0 else "no time in any stage"
        out.append(f'<text class="value" x="{_f(x + 6)}" y="{_f(y + row / 2 + 4)}">{text}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _minute_ticks(total: float) -> list[float]:
    step = next((s for s in (1, 2, 5, 10, 15, 20, 30, 60, 120) if total / s <= 8), 240)
    return [float(k * step) for k in range(int(total // step) + 1)]


def histogram(scores: Sequence[float], *, title: str, bins: int = 10, width: float = 230,
              height: float = 120) -> str:
    """Counts of scores in `bins` equal bins over 0..1, with the mean as a dashed line."""
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(s * bins)))] += 1
    left, right, top, bottom = 22.0, 8.0, 8.0, 20.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(counts) or 1
    bw = plot_w / bins
    out = _open("histogram", width, height, title)
    out.append(f'<line class="axis" x1="{_f(left)}" y1="{_f(top + plot_h)}" x2="{_f(left + plot_w)}" '
               f'y2="{_f(top + plot_h)}"/>')
    out.append(f'<text class="tick" x="{_f(left - 4)}" y="{_f(top + 8)}" text-anchor="end">{peak}</text>')
    out.append(f'<text class="tick" x="{_f(left - 4)}" y="{_f(top + plot_h)}" text-anchor="end">0</text>')
    for t in (0.0, 0.5, 1.0):
        out.append(f'<text class="tick" x="{_f(left + t * plot_w)}" y="{_f(height - 5)}" '
                   f'text-anchor="middle">{t:g}</text>')
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        lo = i / bins
        out.append(f'<rect class="bin" data-count="{c}" x="{_f(left + i * bw + 1)}" y="{_f(top + plot_h - h)}" '
                   f'width="{_f(bw - 2)}" height="{_f(h)}" fill="{score_color(lo + 0.5 / bins)}">'
                   f"<title>{lo:.1f}–{lo + 1 / bins:.1f}: {c}</title></rect>")
    if scores:
        mean = sum(scores) / len(scores)
        x = left + mean * plot_w
        out.append(f'<line class="mean" x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(top + plot_h)}">'
                   f"<title>mean {mean:.2f}</title></line>")
    out.append("</svg>")
    return "\n".join(out)

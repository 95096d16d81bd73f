"""Time allocation per stage against the rubric's plan, with a timeline and flags.

With timestamps (a timed transcript) each sentence lasts from its start until the next sentence starts, so
pauses and the interviewer's turns count toward the stage being discussed, and times are minutes on the
recording's clock. Without, minutes are estimated from words at the rubric's speaking rate
(`timing.words_per_minute`), counted from the start of the answer.

Flags (thresholds in the rubric's `timing`):
- `skipped: S` — no sentence in S although a later stage is discussed;
- `never reaches: S, T` — the answer ends before these stages (the last ones of the plan);
- `over budget: S (m min against b planned)` — more than `over_budget_factor` times the plan;
- `late: S still running at m min (deadline d)` — a stage of `deadlines` still discussed after its mark;
- `over time: m min against t planned` — the whole answer is longer than the plan.
"""

from __future__ import annotations

from grader.models import Rubric, SectionedAnswer, TimeAllocation, TimelineEntry

_DECIMALS = 2


def allocate_time(answer: SectionedAnswer, rubric: Rubric, plan_name: str) -> TimeAllocation:
    plan = rubric.time_plans[plan_name]
    stage_ids = rubric.stage_ids
    sents = answer.sentences
    words = [len(s.text.split()) for s in sents]
    timed = bool(sents) and all(s.t_start is not None for s in sents)
    if timed:
        starts = [s.t_start / 60.0 for s in sents]  # type: ignore[operator]
        ends = starts[1:] + [max((sents[-1].t_end or sents[-1].t_start) / 60.0, starts[-1])]  # type: ignore[operator]
    else:
        wpm = rubric.timing.words_per_minute
        cum = [0]
        for w in words:
            cum.append(cum[-1] + w)
        starts = [c / wpm for c in cum[:-1]]
        ends = [c / wpm for c in cum[1:]]
    minutes = {s: 0.0 for s in stage_ids}
    for sent, a, b in zip(sents, starts, ends):
        if sent.stage in minutes:
            minutes[sent.stage] += max(b - a, 0.0)
    total = (ends[-1] - starts[0]) if sents else 0.0
    timeline: list[TimelineEntry] = []
    for sent, a, b, w in zip(sents, starts, ends, words):
        if timeline and timeline[-1].stage == sent.stage:
            last = timeline[-1]
            timeline[-1] = last.model_copy(update={"end": _r(b), "words": last.words + w})
        else:
            timeline.append(TimelineEntry(stage=sent.stage, start=_r(a), end=_r(b), words=w))
    present = [s for s in stage_ids if any(x.stage == s for x in sents)]
    last_present = max((stage_ids.index(s) for s in present), default=-1)
    flags: list[str] = []
    skipped = [s for s in stage_ids[:max(last_present, 0)] if s not in present]
    flags += [f"skipped: {s}" for s in skipped]
    if last_present < len(stage_ids) - 1:
        flags.append(f"never reaches: {', '.join(stage_ids[last_present + 1:])}")
    for stage in stage_ids:
        budget = plan.minutes[stage]
        if budget > 0 and minutes[stage] > rubric.timing.over_budget_factor * budget:
            flags.append(f"over budget: {stage} ({_r(minutes[stage]):g} min against {budget:g} planned)")
    for stage, mark in rubric.timing.deadlines.items():
        last_end = max((b for sent, b in zip(sents, ends) if sent.stage == stage), default=None)
        if last_end is not None and last_end > mark:
            flags.append(f"late: {stage} still running at {_r(last_end):g} min (deadline {mark:g})")
    if total > plan.total_minutes:
        flags.append(f"over time: {_r(total):g} min against {plan.total_minutes:g} planned")
    return TimeAllocation(
        source="timestamps" if timed else "words", plan_name=plan_name,
        minutes={s: _r(m) for s, m in minutes.items()}, plan=dict(plan.minutes), flags=flags,
        total_minutes=_r(total),
        share={s: _r(m / total, 4) if total > 0 else 0.0 for s, m in minutes.items()},
        timeline=timeline,
    )


def _r(x: float, decimals: int = _DECIMALS) -> float:
    return round(float(x), decimals) + 0.0

"""Time allocation per stage against the rubric's plan.

Written answers have no clock, so minutes are estimated from words at the rubric's speaking rate.
"""

from __future__ import annotations

from grader.models import Rubric, SectionedAnswer, TimeAllocation


def allocate_time(answer: SectionedAnswer, rubric: Rubric, plan_name: str) -> TimeAllocation:
    plan = rubric.time_plans[plan_name]
    wpm = rubric.timing.words_per_minute
    words = {s: 0 for s in rubric.stage_ids}
    for sent in answer.sentences:
        if sent.stage in words:
            words[sent.stage] += len(sent.text.split())
    minutes = {s: round(w / wpm, 2) for s, w in words.items()}
    flags: list[str] = []
    for stage in rubric.stage_ids:
        budget = plan.minutes[stage]
        if words[stage] == 0:
            flags.append(f"skipped: {stage}")
        elif budget > 0 and minutes[stage] > rubric.timing.over_budget_factor * budget:
            flags.append(f"over budget: {stage} ({minutes[stage]:g} min against {budget:g} planned)")
    return TimeAllocation(source="words", plan_name=plan_name, minutes=minutes, plan=dict(plan.minutes),
                          flags=flags)

"""Dimension scores and the overall score, with the rubric's weights.

dimension = (1 - detector_weight) * weighted mean of stage coverage
            + detector_weight * weighted mean credit of the question's concepts that feed the dimension,
then multiplied by (1 - deduction) for every mistake and penalty naming the dimension, never below (1 - the
rubric's `max_deduction`) of its value before them, then by (1 - deduction) for every gaming flag. A dimension
that none of the question's concepts feeds is stage coverage alone. Overall = weighted mean of dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.models import MistakeHit, Question, Rubric, StageCoverage


def relevant_concepts(question: Question) -> list[str]:
    """The detectors a question's score listens to: its required concepts and its penalties' detectors."""
    ids = list(question.required_concepts)
    ids += [d for p in question.penalties for d in p.unless_detected]
    return list(dict.fromkeys(ids))


def score_dimensions(coverage: list[StageCoverage], rubric: Rubric, *,
                     concepts: dict[str, float] | None = None,
                     flags: Sequence[MistakeHit] = ()) -> tuple[dict[str, float], float]:
    """`concepts`: credit (0..1) of each of the question's relevant detectors (absent ones at 0)."""
    by_stage = {c.stage: c.coverage for c in coverage}
    feeds = {d.id: d.feeds for d in rubric.detectors}
    beta = rubric.detection.detector_weight if rubric.detection and concepts is not None else 0.0
    cap = rubric.detection.max_deduction if rubric.detection else 1.0
    dims: dict[str, float] = {}
    for d in rubric.dimensions:
        total = sum(d.stages.values())
        cov = sum(w * by_stage.get(stage, 0.0) for stage, w in d.stages.items()) / total
        fed = [(feeds[c][d.id], credit) for c, credit in (concepts or {}).items() if d.id in feeds.get(c, {})]
        if fed and beta > 0:
            det = sum(w * c for w, c in fed) / sum(w for w, _ in fed)
            cov = (1 - beta) * cov + beta * det
        keep = 1.0
        for f in flags:
            if d.id in f.dimensions and f.source != "gaming":
                keep *= 1.0 - f.deduction
        cov *= max(keep, 1.0 - cap)
        for f in flags:
            if d.id in f.dimensions and f.source == "gaming":
                cov *= 1.0 - f.deduction
        dims[d.id] = min(max(cov, 0.0), 1.0)
    weight = sum(d.weight for d in rubric.dimensions)
    overall = sum(d.weight * dims[d.id] for d in rubric.dimensions) / weight
    return dims, overall

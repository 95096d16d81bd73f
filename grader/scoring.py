"""Dimension scores and the overall score: weighted means with the rubric's weights."""

from __future__ import annotations

from grader.models import Rubric, StageCoverage


def score_dimensions(coverage: list[StageCoverage], rubric: Rubric) -> tuple[dict[str, float], float]:
    by_stage = {c.stage: c.coverage for c in coverage}
    dims: dict[str, float] = {}
    for d in rubric.dimensions:
        total = sum(d.stages.values())
        dims[d.id] = sum(w * by_stage.get(stage, 0.0) for stage, w in d.stages.items()) / total
    weight = sum(d.weight for d in rubric.dimensions)
    overall = sum(d.weight * dims[d.id] for d in rubric.dimensions) / weight
    return dims, overall

"""Dimension scores and the overall score: weighted means of stage coverage, moved by detectors and flags."""

import pytest

from grader.models import MistakeHit
from grader.pipeline.scoring import relevant_concepts, score_dimensions

from helpers import ASK, DRIFT, coverage_by_stage, sectioned


def test_dimension_and_overall_are_weighted_means(tiny_rubric, hashing):
    sa = sectioned([("clarify", ASK), ("monitoring", DRIFT)])
    cov = list(coverage_by_stage(sa, tiny_rubric, hashing).values())
    dims, overall = score_dimensions(cov, tiny_rubric)
    c = {x.stage: x.coverage for x in cov}
    assert dims["framing"] == pytest.approx(c["clarify"])
    assert dims["building"] == pytest.approx(0.5 * c["model"] + 0.5 * c["monitoring"])
    assert overall == pytest.approx((1.0 * dims["framing"] + 3.0 * dims["building"]) / 4.0)


def test_detectors_and_flags_move_dimensions(default_rubric):
    from grader.models import StageCoverage

    cov = [StageCoverage(stage=s, coverage=0.5, points=[]) for s in default_rubric.stage_ids]
    q = default_rubric.question("q05")
    base, _ = score_dimensions(cov, default_rubric)
    none = {c: 0.0 for c in relevant_concepts(q)}
    full = {c: 1.0 for c in relevant_concepts(q)}
    low, _ = score_dimensions(cov, default_rubric, concepts=none)
    high, _ = score_dimensions(cov, default_rubric, concepts=full)
    assert low["modeling_judgment"] < base["modeling_judgment"] < high["modeling_judgment"]
    small = MistakeHit(id="x", evidence="e", deduction=0.1, dimensions=["serving_latency"])
    cut, _ = score_dimensions(cov, default_rubric, flags=[small])
    assert cut["serving_latency"] == pytest.approx(base["serving_latency"] * 0.9)
    assert cut["problem_framing"] == base["problem_framing"]
    # mistakes and penalties together take at most max_deduction off a dimension; gaming flags come on top
    cap = default_rubric.detection.max_deduction
    many = [small.model_copy(update={"id": f"m{i}", "deduction": 0.2}) for i in range(4)]
    capped, _ = score_dimensions(cov, default_rubric, flags=many)
    assert capped["serving_latency"] == pytest.approx(base["serving_latency"] * (1 - cap))
    gaming = MistakeHit(id="keyword_list", evidence="e", source="gaming", deduction=0.3,
                        dimensions=["serving_latency"])
    lower, _ = score_dimensions(cov, default_rubric, flags=[*many, gaming])
    assert lower["serving_latency"] == pytest.approx(base["serving_latency"] * (1 - cap) * 0.7)

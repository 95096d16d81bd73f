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
    flag = MistakeHit(id="x", evidence="e", deduction=0.5, dimensions=["serving_latency"])
    cut, _ = score_dimensions(cov, default_rubric, flags=[flag])
    assert cut["serving_latency"] == base["serving_latency"] * 0.5
    assert cut["problem_framing"] == base["problem_framing"]

"""Key-point coverage per stage: credit between the floor and full similarity, the off-stage factor."""

import pytest

from grader.models import CoverageConfig
from grader.pipeline.coverage import credit

from helpers import CNN, DRIFT, coverage_by_stage, sectioned


def test_credit_is_linear_between_floor_and_full():
    cfg = CoverageConfig(floor=0.2, full=0.8, match=0.5, off_stage_factor=0.5)
    assert list(credit([0.1, 0.2, 0.5, 0.8, 0.95], cfg)) == pytest.approx([0, 0, 0.5, 1, 1])


def test_a_key_point_said_in_its_stage_earns_full_credit(tiny_rubric, hashing):
    sa = sectioned([("model", CNN)])
    cov = coverage_by_stage(sa, tiny_rubric, hashing)
    cnn = next(p for p in cov["model"].points if p.id == "cnn")
    assert cnn.credit == pytest.approx(1.0) and cnn.matched and cnn.in_stage
    assert cnn.evidence == CNN
    assert cov["model"].coverage == pytest.approx(0.5, abs=0.1)  # one of two model points
    assert cov["clarify"].coverage == 0.0


def test_the_same_sentence_in_the_wrong_stage_earns_the_off_stage_factor(tiny_rubric, hashing):
    sa = sectioned([("clarify", CNN)])
    cnn = next(p for p in coverage_by_stage(sa, tiny_rubric, hashing)["model"].points if p.id == "cnn")
    assert cnn.credit == pytest.approx(tiny_rubric.coverage.off_stage_factor) and not cnn.in_stage


def test_unassigned_sentences_count_as_off_stage(tiny_rubric, hashing):
    sa = sectioned([(None, DRIFT)])
    drift = coverage_by_stage(sa, tiny_rubric, hashing)["monitoring"].points[0]
    assert drift.credit == pytest.approx(0.5) and drift.matched


def test_unrelated_text_earns_nothing(tiny_rubric, hashing):
    cov = coverage_by_stage(sectioned([("model", "bananas grow in warm places")]), tiny_rubric, hashing)
    assert all(c.coverage == 0.0 for c in cov.values())


def test_an_inferred_sentence_earns_in_proportion_to_its_stage_probability(tiny_rubric, hashing):
    """Smooth in the embeddings: a sentence whose stage was inferred earns p x full + (1 - p) x off-stage credit,
    so a small change in the decoder's probabilities moves coverage a little, never by a whole off-stage jump."""
    off = tiny_rubric.coverage.off_stage_factor
    ids = tiny_rubric.stage_ids
    results = []
    for p in (0.0, 0.3, 0.49, 0.51, 1.0):
        probs = tuple(p if s == "model" else (1.0 - p) / (len(ids) - 1) for s in ids)
        sa = sectioned([("clarify", CNN)])
        sa = sa.model_copy(update={"sentences": [s.model_copy(update={"method": "inferred", "stage_probs": probs})
                                                 for s in sa.sentences]})
        cnn = next(x for x in coverage_by_stage(sa, tiny_rubric, hashing)["model"].points if x.id == "cnn")
        results.append(cnn.credit)
        assert cnn.credit == pytest.approx(p + (1.0 - p) * off) and cnn.in_stage == (p >= 0.5)
    assert results == sorted(results) and results[3] - results[2] < 0.05

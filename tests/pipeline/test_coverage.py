import pytest

from grader.pipeline.coverage import compute_coverage, credit
from grader.embedding.cache import embed_texts
from grader.models import Answer, CoverageConfig, SectionedAnswer, Sentence
from grader.pipeline.scoring import score_dimensions


def _answer(*sentences):
    return SectionedAnswer(answer=Answer(path="a.md", text="", format="markdown"),
                           sentences=[Sentence(text=t, start=0, end=0, stage=s) for s, t in sentences])


def _coverage(sa, rubric, hashing, qid="cats"):
    q = rubric.question(qid)
    table = embed_texts([s.text for s in sa.sentences] + [kp.text for _, kp in q.all_key_points()], hashing, None)
    return {c.stage: c for c in compute_coverage(sa, q, rubric.stage_ids, rubric.coverage, table)}


def test_credit_is_linear_between_floor_and_full():
    cfg = CoverageConfig(floor=0.2, full=0.8, match=0.5, off_stage_factor=0.5)
    assert list(credit([0.1, 0.2, 0.5, 0.8, 0.95], cfg)) == pytest.approx([0, 0, 0.5, 1, 1])


def test_a_key_point_said_in_its_stage_earns_full_credit(tiny_rubric, hashing):
    sa = _answer(("model", "use a convolutional network pretrained on imagenet"))
    cov = _coverage(sa, tiny_rubric, hashing)
    cnn = next(p for p in cov["model"].points if p.id == "cnn")
    assert cnn.credit == pytest.approx(1.0) and cnn.matched and cnn.in_stage
    assert cnn.evidence == "use a convolutional network pretrained on imagenet"
    assert cov["model"].coverage == pytest.approx(0.5, abs=0.1)  # one of two model points
    assert cov["clarify"].coverage == 0.0


def test_the_same_sentence_in_the_wrong_stage_earns_the_off_stage_factor(tiny_rubric, hashing):
    sa = _answer(("clarify", "use a convolutional network pretrained on imagenet"))
    cnn = next(p for p in _coverage(sa, tiny_rubric, hashing)["model"].points if p.id == "cnn")
    assert cnn.credit == pytest.approx(tiny_rubric.coverage.off_stage_factor) and not cnn.in_stage


def test_unassigned_sentences_count_as_off_stage(tiny_rubric, hashing):
    sa = _answer((None, "watch the share of cat predictions for drift"))
    drift = _coverage(sa, tiny_rubric, hashing)["monitoring"].points[0]
    assert drift.credit == pytest.approx(0.5) and drift.matched


def test_unrelated_text_earns_nothing(tiny_rubric, hashing):
    cov = _coverage(_answer(("model", "bananas grow in warm places")), tiny_rubric, hashing)
    assert all(c.coverage == 0.0 for c in cov.values())


def test_dimension_and_overall_are_weighted_means(tiny_rubric, hashing):
    sa = _answer(("clarify", "ask how many photos arrive per day"),
                 ("monitoring", "watch the share of cat predictions for drift"))
    cov = list(_coverage(sa, tiny_rubric, hashing).values())
    dims, overall = score_dimensions(cov, tiny_rubric)
    c = {x.stage: x.coverage for x in cov}
    assert dims["framing"] == pytest.approx(c["clarify"])
    assert dims["building"] == pytest.approx(0.5 * c["model"] + 0.5 * c["monitoring"])
    assert overall == pytest.approx((1.0 * dims["framing"] + 3.0 * dims["building"]) / 4.0)

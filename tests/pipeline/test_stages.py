"""Stage inference with the model-free hashing embedder: similarity is word overlap, so each test can say
which stage a sentence resembles."""

from grader.embedding.cache import embed_texts
from grader.pipeline.stages import infer_stages, prototype_texts, stage_prototypes

from helpers import ASK, CNN, DRIFT, split_one  # the tiny rubric's key points for "cats", one per stage


def _infer(text, rubric, nlp, hashing, question="cats"):
    sa = split_one(text, rubric, nlp)
    q = rubric.question(question)
    table = embed_texts([s.text for s in sa.sentences] + prototype_texts(rubric), hashing, None)
    return infer_stages(sa, rubric.stages, stage_prototypes(rubric, q), rubric.sections.inference, table)


def _stages(sa):
    return [s.stage for s in sa.sentences]


def test_prose_without_headings_gets_the_stages_its_sentences_resemble(tiny_rubric, nlp, hashing):
    sa = _infer(f"{ASK}.\n\n{CNN}.\n\n{DRIFT}.\n", tiny_rubric, nlp, hashing)
    assert _stages(sa) == ["clarify", "model", "monitoring"]
    assert all(s.method == "inferred" and 0.5 < s.confidence <= 1.0 for s in sa.sentences)


def test_the_chain_may_go_back_when_the_text_clearly_does(tiny_rubric, nlp, hashing):
    sa = _infer(f"{ASK}.\n\n{CNN}.\n\n{ASK}.\n\n{DRIFT}.\n", tiny_rubric, nlp, hashing)
    assert _stages(sa) == ["clarify", "model", "clarify", "monitoring"]


def test_a_vague_sentence_stays_with_its_paragraph(tiny_rubric, nlp, hashing):
    sa = _infer(f"{ASK}. Then some more words here.\n\n{CNN}.\n", tiny_rubric, nlp, hashing)
    assert _stages(sa) == ["clarify", "clarify", "model"]


def test_greetings_and_closings_belong_to_no_stage(tiny_rubric, nlp, hashing):
    # "Okay, sounds good." is one of the default none points
    sa = _infer(f"Okay, sounds good.\n\n{ASK}.\n\n{CNN}.\n", tiny_rubric, nlp, hashing)
    assert _stages(sa) == [None, "clarify", "model"]
    assert sa.sentences[0].method == "inferred"


def test_headings_dominate_and_inference_fills_the_rest(tiny_rubric, nlp, hashing):
    text = f"## Model\n{DRIFT}.\n\n## Model and launch\n{CNN}. {DRIFT}.\n\n## Summary\n{ASK}.\n"
    sa = _infer(text, tiny_rubric, nlp, hashing)
    assert [(s.stage, s.method) for s in sa.sentences] == [
        ("model", "heading"), ("model", "inferred"), ("monitoring", "inferred"), (None, "heading")]


def test_a_generic_question_uses_the_stage_descriptions(tiny_rubric, nlp, hashing):
    sa = _infer("ask about goals and scale.\n\nchoose the model.\n", tiny_rubric, nlp, hashing,
                question="generic")
    assert _stages(sa) == ["clarify", "model"]


def test_inference_is_deterministic(tiny_rubric, nlp, hashing):
    text = f"{ASK}.\n\nsomething vague.\n\n{CNN}. {DRIFT}.\n"
    assert _infer(text, tiny_rubric, nlp, hashing) == _infer(text, tiny_rubric, nlp, hashing)

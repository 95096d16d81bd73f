"""The registered detector kinds (phrase, near, regex): deterministic, safe on empty text, strict params."""

import pytest

from grader.pipeline.detect import lemma_sentences
from grader.pipeline.detectors import KINDS


def test_every_kind_is_deterministic_and_handles_empty_text(nlp):
    empty = lemma_sentences([""], nlp)[0]
    examples = {"phrase": {"phrases": ["hard negative"]}, "near": {"groups": [["a"], ["b"]], "window": 3},
                "regex": {"patterns": [r"\bp9\d\b"]}}
    assert sorted(examples) == KINDS.names()  # a new kind must be added here
    sent = lemma_sentences(["Mine hard negatives, keep p99 low, a then b now."], nlp)[0]

    def lemmatize(text):
        s = lemma_sentences([text], nlp)[0]
        return tuple(frozenset({w, lemma}) for w, lemma in zip(s.words, s.lemmas))

    for name, params in examples.items():
        kind = KINDS.get(name)
        c = kind.compile(kind.params.model_validate(params), lemmatize)
        assert c.find(empty) == []
        spans = c.find(sent)
        assert spans and spans == c.find(sent)
        assert all(0 <= s < e <= len(sent.words) for s, e in spans)


def test_kind_params_reject_unknown_fields():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        KINDS.get("phrase").params.model_validate({"phrases": ["x"], "phrase": ["y"]})
    with pytest.raises(ValidationError):
        KINDS.get("regex").params.model_validate({"patterns": ["("]})

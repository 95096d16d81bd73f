"""Kind `phrase`: any of a list of phrases, compared lemma by lemma, so "sampled negatives" finds "sample
negative", "negatives sampled" does not; hyphens and slashes between words are optional ("two tower" finds
"two-tower").

>>> from grader.pipeline.detectors import LemmaSentence, forms
>>> c = compile_phrase(PhraseParams(phrases=["hard negative"]), lambda s: tuple(forms(w, w) for w in s.split()))
>>> c.find(LemmaSentence("", ("mine", "hard", "-", "negatives"), ("mine", "hard", "-", "negative"), (0,) * 4))
[(1, 4)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from grader.pipeline.detectors.base import Kind, LemmaSentence, Span, Term, TermIndex, find_sequence, register, strip_joiners


class PhraseParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    phrases: list[str] = Field(min_length=1, description="phrases, lemmatized like the answer's sentences")


@dataclass(frozen=True)
class _Phrases:
    terms: tuple[Term, ...]
    index: TermIndex = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", TermIndex(self.terms))

    def find(self, sentence: LemmaSentence) -> list[Span]:
        fs = sentence.forms
        return [span for term in self.index.candidates(sentence) for span in find_sequence(sentence, term, fs)]

    @property
    def triggers(self) -> frozenset[str]:
        """A match needs one of these forms in the sentence (each phrase's first token)."""
        return self.index.first_forms


def compile_phrase(params: PhraseParams, lemmatize: Callable[[str], Term]) -> _Phrases:
    terms = dict.fromkeys(t for t in (strip_joiners(lemmatize(p)) for p in params.phrases) if t)
    return _Phrases(tuple(terms))


register(Kind("phrase", PhraseParams, compile_phrase))

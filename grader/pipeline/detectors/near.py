"""Kind `near`: one term from every group within a window of tokens, in any order ("debias clicks by
position": {debias, correct} near {position, slot}). Terms are phrases, lemmatized like the answer.

>>> from grader.pipeline.detectors import LemmaSentence, forms
>>> c = compile_near(NearParams(groups=[["debias"], ["position"]], window=4), lambda s: tuple(forms(w, w) for w in s.split()))
>>> c.find(LemmaSentence("", ("debias", "click", "by", "position"), ("debias", "click", "by", "position"), (0,) * 4))
[(0, 4)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from grader.pipeline.detectors.base import Kind, LemmaSentence, Span, Term, TermIndex, find_sequence, register, strip_joiners


class NearParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    groups: list[list[str]] = Field(min_length=2, description="one term of each group must occur")
    window: int = Field(ge=2, le=30, description="the whole match spans at most this many tokens")


@dataclass(frozen=True)
class _Near:
    groups: tuple[tuple[Term, ...], ...]
    window: int
    indexes: tuple[TermIndex, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "indexes", tuple(TermIndex(g) for g in self.groups))

    def find(self, sentence: LemmaSentence) -> list[Span]:
        fs = sentence.forms
        found = []
        for index in self.indexes:
            spans = sorted({sp for term in index.candidates(sentence) for sp in find_sequence(sentence, term, fs)})
            if not spans:
                return []
            found.append(spans)
        out: list[Span] = []
        for anchor in sorted({sp for spans in found for sp in spans}):
            lo = anchor[0]
            picks = []
            for spans in found:
                ok = [sp for sp in spans if sp[0] >= lo and sp[1] - lo <= self.window]
                if not ok:
                    break
                picks.append(ok[0])
            else:
                if anchor in picks:  # the anchor is the leftmost term of the match
                    span = (lo, max(p[1] for p in picks))
                    if not out or span[0] >= out[-1][1]:
                        out.append(span)
        return out

    @property
    def triggers(self) -> frozenset[str]:
        """A match needs a term of every group, so one of the smallest group's first-token forms."""
        return min((i.first_forms for i in self.indexes), key=len, default=frozenset())


def compile_near(params: NearParams, lemmatize: Callable[[str], Term]) -> _Near:
    groups = tuple(tuple(t for t in dict.fromkeys(strip_joiners(lemmatize(term)) for term in g) if t)
                   for g in params.groups)
    return _Near(groups, params.window)


register(Kind("near", NearParams, compile_near))

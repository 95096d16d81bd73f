"""Kind `regex`: regular expressions over the lower-cased sentence text, for forms that tokens and lemmas
split awkwardly ("precision@10", "p99"). A match is widened to whole tokens.

>>> from grader.pipeline.detectors import LemmaSentence
>>> c = compile_regex(RegexParams(patterns=[r"\\bp9\\d\\b"]), lambda s: ())
>>> c.find(LemmaSentence("p99 under 80 ms", ("p99", "under", "80", "ms"), ("p99", "under", "80", "ms"), (0, 4, 10, 13)))
[(0, 1)]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from grader.pipeline.detectors.base import Kind, LemmaSentence, Span, Term, register


class RegexParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    patterns: list[str] = Field(min_length=1, description="Python regular expressions, lower case")

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad regular expression {p!r}: {exc}") from None
        return v


@dataclass(frozen=True)
class _Regex:
    patterns: tuple[re.Pattern[str], ...]

    def find(self, sentence: LemmaSentence) -> list[Span]:
        out: list[Span] = []
        offsets = list(sentence.offsets)
        for pat in self.patterns:
            for m in pat.finditer(sentence.text):
                if m.end() <= m.start() or not offsets:
                    continue
                first = max(bisect.bisect_right(offsets, m.start()) - 1, 0)
                last = max(bisect.bisect_left(offsets, m.end()), first + 1)
                out.append((first, last))
        return out


def compile_regex(params: RegexParams, lemmatize: Callable[[str], Term]) -> _Regex:
    return _Regex(tuple(re.compile(p) for p in params.patterns))


register(Kind("regex", RegexParams, compile_regex))

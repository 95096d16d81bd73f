"""What every detector kind shares: tokens with their forms (`LemmaSentence`), terms, spans, and the `KINDS`
registry each kind module registers into."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from grader.registry import Registry

Span = tuple[int, int]  # token indices [start, end)


Forms = frozenset[str]  # the ways one token may be written: word, lemma, word without a plural "s"
Term = tuple[Forms, ...]


_NOT_PLURAL = frozenset({"news", "series", "species", "always", "perhaps", "whereas", "towards", "analysis",
                         "basis", "thus", "bias"})  # a final "s" that is no plural ("news user" is no "new user")


@functools.lru_cache(maxsize=65536)
def forms(word: str, lemma: str) -> Forms:
    """A token's forms. The lookup lemmatizer is uneven ("embeddings" stays, "listing" -> "list"), so a
    token matches a term's token when any form is shared."""
    out = {word, lemma or word}
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and word not in _NOT_PLURAL:
        out.add(word[:-1])
    return frozenset(out)


@dataclass(frozen=True)
class LemmaSentence:
    """A sentence as the kinds see it: lower-cased token texts, their lemmas, and each token's character
    offset into the lower-cased sentence text."""

    text: str
    words: tuple[str, ...]
    lemmas: tuple[str, ...]
    offsets: tuple[int, ...]
    stop: tuple[bool, ...] = ()
    digit: tuple[bool, ...] = ()
    forms: tuple[Forms, ...] = field(default=(), compare=False)
    all_forms: frozenset[str] = field(default=frozenset(), compare=False)  # every form of every token

    def __post_init__(self) -> None:
        if not self.forms:
            object.__setattr__(self, "forms", tuple(forms(w, lemma) for w, lemma in zip(self.words, self.lemmas)))
        object.__setattr__(self, "all_forms", frozenset().union(*self.forms))


class Compiled(Protocol):
    """A compiled kind. It may also have `triggers`, a set of token forms one of which any match contains, so
    that sentences without them are never searched (`grader.pipeline.detect` indexes them)."""

    def find(self, sentence: LemmaSentence) -> list[Span]: ...


@dataclass(frozen=True)
class Kind:
    name: str
    params: type[BaseModel]
    compile: Callable[[Any, Callable[[str], Term]], Compiled]


KINDS: Registry[Kind] = Registry("detector kind")


def register(kind: Kind) -> Kind:
    return KINDS.register(kind.name)(kind)


JOINERS = frozenset({"-", "/", "–"})


class TermIndex:
    """Terms by the forms of their first token, so a sentence is searched only for the terms it can contain."""

    def __init__(self, terms: tuple[Term, ...]) -> None:
        self.terms = terms
        by_first: dict[str, list[int]] = {}
        for i, term in enumerate(terms):
            for f in term[0] if term else ():
                by_first.setdefault(f, []).append(i)
        self._by_first = by_first
        self.first_forms = frozenset(by_first)

    def candidates(self, sentence: LemmaSentence) -> list[Term]:
        """The terms whose first token occurs in the sentence, in their original order."""
        hits = self.first_forms & sentence.all_forms
        if not hits:
            return []
        return [self.terms[i] for i in sorted({i for f in hits for i in self._by_first[f]})]


def strip_joiners(term: Term) -> Term:
    return tuple(f for f in term if not f & JOINERS)


def find_sequence(sentence: LemmaSentence, term: Term, sentence_forms: tuple[Forms, ...] | None = None
                  ) -> list[Span]:
    """Every occurrence of `term` (joiners stripped) in the sentence; hyphens and slashes may appear between
    its tokens, so "two tower" finds "two-tower"."""
    out: list[Span] = []
    if not term:
        return out
    present = sentence.all_forms
    for t in term:  # most terms miss a token altogether: one set test each, no scan
        if t.isdisjoint(present):
            return out
    fs = sentence_forms if sentence_forms is not None else sentence.forms
    words = sentence.words
    n = len(fs)
    for i in range(n):
        if not fs[i] & term[0]:
            continue
        j, k = i + 1, 1
        while k < len(term) and j < n:
            if fs[j] & term[k]:
                j, k = j + 1, k + 1
            elif words[j] in JOINERS and j + 1 < n and fs[j + 1] & term[k]:
                j += 1
            else:
                break
        if k == len(term):
            out.append((i, j))
    return out

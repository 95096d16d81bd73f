"""Concept detection: find every detector's mentions in every sentence of the batch, with negation.

Sentences are lower-cased and run through spaCy once for the whole batch (tokenizer + lookup lemmatizer, no
model); each detector's kinds (grader/detectors/) find token spans; a sentence must also satisfy the
detector's `requires` / `excludes` context. A mention is negated when NegEx-style cues within the rubric's
windows, not crossing a boundary token, flip its polarity an odd number of times ("we don't need
calibration"; "don't skip calibration" is two flips, so positive). Whether a mention *says something* is
decided later, in `grader.pipeline.substance`, and so is what it earns (`concept_hits`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.pipeline.detectors import KINDS, Compiled, LemmaSentence, Span, Term, find_sequence, forms, strip_joiners
from grader.models import DetectorSpec, NegationConfig, Rubric

@dataclass(frozen=True)
class Mention:
    """One span of one detector in one sentence (token indices into its `LemmaSentence`)."""

    detector: str
    start: int
    end: int
    negated: bool


@dataclass(frozen=True)
class _Detector:
    spec: DetectorSpec
    matchers: tuple[Compiled, ...]
    requires: tuple[Term, ...]
    excludes: tuple[Term, ...]


@dataclass(frozen=True)
class CompiledDetectors:
    detectors: tuple[_Detector, ...]
    negation: NegationConfig | None
    # token form -> detectors that may match a sentence containing it; `always`: detectors without triggers
    index: dict[str, frozenset[int]] = field(default_factory=dict)
    always: frozenset[int] = frozenset()

    def candidates(self, sentence: LemmaSentence) -> list[int]:
        """The detectors worth running on a sentence, in rubric order (a sentence meets a handful, not 41)."""
        found = set(self.always)
        index = self.index
        for f in sentence.all_forms:
            hit = index.get(f)
            if hit:
                found |= hit
        return sorted(found)


def lemma_sentences(texts: Sequence[str], nlp: Any) -> list[LemmaSentence]:
    """Lower-cased texts -> tokens, lookup lemmas, stop-word and number flags (one `nlp.pipe` pass)."""
    from spacy.attrs import IDX, IS_SPACE, IS_STOP, LEMMA, LIKE_NUM, ORTH

    strings = nlp.vocab.strings
    out = []
    # Token attributes as one array per doc (Token objects cost more than the tokenizer itself).
    for doc in nlp.pipe([t.lower() for t in texts], batch_size=512, disable=["sentencizer"]):
        rows = [r for r in doc.to_array([ORTH, LEMMA, IDX, IS_STOP, LIKE_NUM, IS_SPACE]).tolist() if not r[5]]
        words = tuple(strings[r[0]] for r in rows)
        out.append(LemmaSentence(
            text=doc.text, words=words,
            lemmas=tuple((strings[r[1]] if r[1] else "") or w for r, w in zip(rows, words)),
            offsets=tuple(r[2] for r in rows),
            stop=tuple(bool(r[3]) and not r[4] for r in rows),
            digit=tuple(w[:1].isdigit() for w in words)))
    return out


def compile_detectors(rubric: Rubric, nlp: Any) -> CompiledDetectors:
    """Compile every detector of the rubric; phrases are lemmatized with the same pipeline as the answers."""
    phrases: list[str] = []
    for d in rubric.detectors:
        phrases += d.requires + d.excludes
    def term(s: LemmaSentence) -> Term:
        return tuple(forms(w, w) | forms(w, lemma) for w, lemma in zip(s.words, s.lemmas))

    texts = sorted({t for d in rubric.detectors for m in d.match for t in _strings(m.params)} | set(phrases))
    # one pipe for every phrase, not one each
    cache: dict[str, Term] = {text: term(s) for text, s in zip(texts, lemma_sentences(texts, nlp))}

    def lemmatize(text: str) -> Term:
        if text not in cache:
            cache[text] = term(lemma_sentences([text], nlp)[0])
        return cache[text]

    compiled = []
    for d in rubric.detectors:
        matchers = tuple(KINDS.get(m.kind).compile(KINDS.get(m.kind).params.model_validate(m.params), lemmatize)
                         for m in d.match)
        compiled.append(_Detector(
            spec=d, matchers=matchers,
            requires=tuple(strip_joiners(lemmatize(t)) for t in d.requires),
            excludes=tuple(strip_joiners(lemmatize(t)) for t in d.excludes)))
    index: dict[str, set[int]] = {}
    always: set[int] = set()
    for i, det in enumerate(compiled):
        triggers = [getattr(m, "triggers", None) for m in det.matchers]
        if any(t is None for t in triggers):
            always.add(i)
            continue
        for t in triggers:
            for f in t:
                index.setdefault(f, set()).add(i)
    return CompiledDetectors(tuple(compiled), rubric.detection.negation if rubric.detection else None,
                             {f: frozenset(ids) for f, ids in index.items()}, frozenset(always))


def _strings(value: Any) -> list[str]:
    """Every string inside a kind's params (phrases, group terms; regex patterns too, harmlessly)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def find_mentions(sentence: LemmaSentence, detectors: CompiledDetectors) -> list[Mention]:
    """Every detector's mentions in one sentence, in detector order then position; overlapping spans of one
    detector are merged."""
    out: list[Mention] = []
    for i in detectors.candidates(sentence):
        det = detectors.detectors[i]
        spans = sorted({sp for m in det.matchers for sp in m.find(sentence)})
        if not spans:
            continue
        if det.requires and not any(_contains(sentence, seq) for seq in det.requires):
            continue
        if any(_contains(sentence, seq) for seq in det.excludes):
            continue
        for start, end in _merge(spans):
            negated = det.spec.negation and detectors.negation is not None and _negated(
                sentence, start, end, detectors.negation)
            out.append(Mention(det.spec.id, start, end, negated))
    return out


def _contains(sentence: LemmaSentence, term: Term) -> bool:
    return bool(term) and bool(find_sequence(sentence, term))


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _negated(sentence: LemmaSentence, start: int, end: int, cfg: NegationConfig) -> bool:
    cues, bounds, pseudo = set(cfg.cues), set(cfg.boundaries), set(cfg.pseudo)
    words, lemmas = sentence.words, sentence.lemmas
    n = len(words)

    def is_cue(i: int) -> bool:
        if words[i] not in cues and lemmas[i] not in cues:
            return False
        return not (i + 1 < n and (words[i + 1] in pseudo or lemmas[i + 1] in pseudo))

    flips = 0
    for i in range(start - 1, max(start - 1 - cfg.window_before, -1), -1):
        if words[i] in bounds or lemmas[i] in bounds:
            break
        flips += is_cue(i)
    after = set(cfg.after_verbs)
    if end < n and (words[end] in after or lemmas[end] in after or is_cue(end)):
        for i in range(end, min(end + cfg.window_after, n)):
            if words[i] in bounds or lemmas[i] in bounds:
                break
            flips += is_cue(i)
    return flips % 2 == 1

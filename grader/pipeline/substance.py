"""Does a sentence say something, or only name terms? Per-sentence quality and the answer-level gaming flags.

A sentence is
- a *fragment* when it has fewer function words than `min_function_words` outside its concept terms and no
  number: a bare list item ("Two-tower model", "ANN index (FAISS, HNSW)") names things and claims nothing;
- *stuffed* when it names at least `dense_concepts` concepts (overlapping mentions count once) with at most
  `dense_words_per_concept` words per concept: key terms shuffled into a sentence;
- a *definition* when it opens with a concept, a separator (":", "is", "refers to") and a definitional
  opener ("a ...", "the ...", "when ...", a gerund): a glossary line;
- a *repeat* when its words equal an earlier sentence's, or its embedding is `near_duplicate`-close to one.

Each kind keeps a weight (`*_weight` in the rubric) of the embedding credit the sentence can earn, a repeat
keeps none (its first copy counts); definitions and stuffed sentences are discounted only in an answer
flagged as a glossary or as keyword stuffing (strong answers have some of both, never most).
When a kind covers at least its `share` of the answer's sentences, the answer gets that gaming flag.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.pipeline.detect import Mention, compile_detectors, find_mentions, lemma_sentences
from grader.pipeline.detectors import LemmaSentence
from grader.pipeline.stages import stage_membership
from grader.embedding.cache import EmbeddingTable
from grader.models import NOT_EVIDENCE_ROLES as _NOT_EVIDENCE, DetectionConfig, DetectorHit, MistakeHit, Rubric, \
    SectionedAnswer

_WORD = re.compile(r"\w+")
_PARTS = re.compile(r"[,;()/、，；（）]")
_SHORT_TERM = 4  # tokens: a concept *term*; longer spans come from `near` matches and hold real words
_KINDS = ("fragment", "stuffed", "definition", "repeat")
_FLAG_OF = {"fragment": "keyword_list", "definition": "glossary", "stuffed": "keyword_stuffing",
            "repeat": "repetition"}
_PHRASE = {"keyword_list": "are bare lists of concept terms, without a claim",
           "glossary": "are glossary definitions of terms",
           "keyword_stuffing": "pack {n}+ concepts into a few words",
           "repetition": "repeat an earlier sentence"}


@dataclass(frozen=True)
class SentenceQuality:
    """What a sentence is (empty: an ordinary sentence) and the share of embedding credit it keeps."""

    kinds: tuple[str, ...]
    weight: float

    @property
    def weak(self) -> bool:
        return bool(self.kinds)


def assess_sentences(answer: SectionedAnswer, lemmas: Sequence[LemmaSentence],
                     mentions: Sequence[Sequence[Mention]], table: EmbeddingTable, rubric: Rubric
                     ) -> tuple[list[SentenceQuality], list[MistakeHit]]:
    """Quality of each sentence of `answer` and its gaming flags (with evidence and deduction)."""
    cfg = rubric.detection
    n = len(answer.sentences)
    if cfg is None or n == 0:
        return [SentenceQuality((), 1.0)] * n, []
    sub = cfg.substance
    kinds: list[set[str]] = [set() for _ in range(n)]
    named: list[bool] = [False] * n  # a fragment that names a concept: a keyword, not a note
    repeats = _repeats([s.text for s in answer.sentences], table, sub.near_duplicate)
    for i, (sent, ms) in enumerate(zip(lemmas, mentions)):
        if answer.sentences[i].role in _NOT_EVIDENCE:
            continue
        live = [m for m in ms if not m.negated]
        if _fragment(sent, live, sub.min_function_words, sub.fragment_max_words, sub.enumeration_words):
            kinds[i].add("fragment")
            named[i] = bool(live)
        if _stuffed(sent, live, sub.dense_concepts, sub.dense_words_per_concept):
            kinds[i].add("stuffed")
        if _definition(sent, live, sub.definition_separators, sub.definition_openers):
            kinds[i].add("definition")
        if repeats[i]:
            kinds[i].add("repeat")
    flags = _flags(answer, kinds, named, cfg, rubric)
    flagged = {f.id for f in flags}
    out = []
    for sentence, k in zip(answer.sentences, kinds):
        if sentence.role in _NOT_EVIDENCE:
            out.append(SentenceQuality((sentence.role,), 0.0))
            continue
        if "glossary" not in flagged:
            k.discard("definition")
        if "keyword_stuffing" not in flagged:
            k.discard("stuffed")
        w = 1.0
        if "fragment" in k:
            w = min(w, sub.fragment_weight)
        if "stuffed" in k:
            w = min(w, sub.stuffed_weight)
        if "definition" in k:
            w = min(w, sub.definition_weight)
        if "repeat" in k:
            w = 0.0
        out.append(SentenceQuality(tuple(x for x in _KINDS if x in k), w))
    return out, flags


def _fragment(sent: LemmaSentence, mentions: Sequence[Mention], min_function_words: int,
              max_words: int | None = None, enumeration_words: int | None = None) -> bool:
    """Too few function words to make a claim, and (with `max_words`) no more than that many content words
    outside the concept terms: "Two-tower model" names a thing, "positive: click < t secs, negative: no
    click" is a terse note that says one. Function words inside a short concept term ("needle in a haystack")
    do not count; a sentence closed by a full stop needs one fewer (a terse claim such as "Logistic regression
    gives a strong baseline." is still a sentence). A comma-separated run of short names ("Feature store,
    real-time features, streaming (Kafka, Flink)") is a fragment however many words it has."""
    if any(sent.digit):
        return False
    inside = {i for m in mentions if m.end - m.start <= _SHORT_TERM for i in range(m.start, m.end)}
    function_words = sum(1 for i, stop in enumerate(sent.stop) if stop and i not in inside)
    closed = bool(sent.words) and sent.words[-1] in (".", "!", "?")
    if function_words >= min_function_words - closed:
        return False
    if max_words is None:
        return True
    if enumeration_words is not None:
        parts = [p for p in _PARTS.split(sent.text) if _WORD.search(p)]
        if len(parts) >= 2 and all(len(_WORD.findall(p)) <= enumeration_words for p in parts):
            return True
    other = sum(1 for i, w in enumerate(sent.words) if i not in inside and not sent.stop[i] and _WORD.search(w))
    return other <= max_words


def _stuffed(sent: LemmaSentence, mentions: Sequence[Mention], dense: int, words_per_concept: float) -> bool:
    """Concepts are counted once per group of mentions that share a detector or are overlapping short terms
    ("two-tower" is both two_tower and model_architecture; a long `near` span merges with nothing)."""
    parent = list(range(len(mentions)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, a in enumerate(mentions):
        for j in range(i):
            b = mentions[j]
            short = max(a.end - a.start, b.end - b.start) <= _SHORT_TERM
            if a.detector == b.detector or (short and a.start < b.end and b.start < a.end):
                parent[root(i)] = root(j)
    concepts = len({root(i) for i in range(len(mentions))})
    words = sum(1 for w in sent.words if _WORD.search(w))
    return concepts >= dense and words / concepts <= words_per_concept


def _definition(sent: LemmaSentence, mentions: Sequence[Mention], separators: list[str],
                openers: list[str]) -> bool:
    words = [i for i, w in enumerate(sent.words) if _WORD.search(w) or w in separators]
    if not mentions or not words:
        return False
    first = min(mentions, key=lambda m: m.start)
    lead = [i for i in words if i < first.start and _WORD.search(sent.words[i])]
    if lead:  # the sentence must open with the concept
        return False
    i = first.end
    while i < len(sent.words) and sent.words[i] in (")", "(", "*", "**") :
        i += 1
    if i >= len(sent.words) or not (sent.words[i] in separators or sent.lemmas[i] in separators):
        return False
    j = i + 1
    if j < len(sent.words) and sent.lemmas[j] in ("often", "usually", "simply", "basically", "just"):
        j += 1
    if j >= len(sent.words):
        return False
    w, lemma = sent.words[j], sent.lemmas[j]
    return w in openers or lemma in openers or (w.endswith("ing") and lemma != w)


def _repeats(texts: list[str], table: EmbeddingTable, near: float) -> list[bool]:
    keys = [" ".join(_WORD.findall(t.lower())) for t in texts]
    seen: set[str] = set()
    out = [False] * len(texts)
    for i, k in enumerate(keys):
        out[i] = k in seen
        seen.add(k)
    if len(texts) > 1:
        vecs = table.matrix(texts)
        sims = np.triu(vecs @ vecs.T, k=1)  # [i, j] for i < j: does j repeat an earlier i?
        out = [o or bool((sims[:, j] >= near).any()) for j, o in enumerate(out)]
    return out


def _flags(answer: SectionedAnswer, kinds: list[set[str]], named: list[bool], cfg: DetectionConfig,
           rubric: Rubric) -> list[MistakeHit]:
    """A gaming flag when its kind covers at least its share of the answer's sentences. For keyword_list only
    fragments that name a concept count: a list of concept terms is padding, terse notes about specifics are
    not (on the development write-ups genuine notes had at most 21% of such fragments, keyword lists 29-100%)."""
    n = sum(1 for s in answer.sentences if s.role not in _NOT_EVIDENCE)  # reference lists are no answer text
    dims = [d.id for d in rubric.dimensions]
    flags = []
    for kind in _KINDS:
        flag = _FLAG_OF[kind]
        spec = cfg.gaming.get(flag)
        idx = [i for i, k in enumerate(kinds) if kind in k and (kind != "fragment" or named[i])]
        if spec is None or n < cfg.substance.min_sentences or not idx or len(idx) / n < spec.share:
            continue
        phrase = _PHRASE[flag].format(n=cfg.substance.dense_concepts)
        examples = "; ".join(f"“{answer.sentences[i].text[:80]}”" for i in idx[:2])
        flags.append(MistakeHit(
            id=flag, source="gaming", deduction=spec.deduction, dimensions=dims,
            evidence=f"{len(idx)} of {n} sentences {phrase}, e.g. {examples}",
            advice="Explain choices in full sentences: what you would do, why, and with which numbers."))
    return flags


def standalone_hits(texts: Sequence[str], rubric: Rubric, nlp: Any) -> list[set[str]]:
    """For sentences on their own (no answer around them): the detectors with a substantive, non-negated
    mention, i.e. not negated and not in a fragment (stuffing and glossaries are judged over a whole answer).
    Used to measure the detectors on the labelled sentence set."""
    if rubric.detection is None:
        return [set() for _ in texts]
    sub = rubric.detection.substance
    detectors = compile_detectors(rubric, nlp)
    out = []
    for sent in lemma_sentences(texts, nlp):
        live = [m for m in find_mentions(sent, detectors) if not m.negated]
        bare = _fragment(sent, live, sub.min_function_words, sub.fragment_max_words, sub.enumeration_words)
        out.append(set() if bare else {m.detector for m in live})
    return out


def concept_hits(answer: SectionedAnswer, mentions: Sequence[Sequence[Mention]],
                 quality: Sequence[SentenceQuality], rubric: Rubric,
                 context: Sequence[frozenset[str]] = (),
                 fit: dict[tuple[int, str], float] | None = None) -> list[DetectorHit]:
    """The best mention of every detector found in the answer, in rubric order, with its credit.

    Credit: 1 for a substantive mention in one of the detector's home stages, `off_stage_credit` elsewhere (in
    proportion where the sentence's stage was inferred: its probability of a home stage), `weak_credit` in a
    fragment, or a stuffed sentence or definition line of an answer flagged for it, 0 when negated. `hit` needs a
    substantive, non-negated mention. A repeated sentence adds nothing (its first copy already counts), nor does
    a reference or a caption. `context[i]`: the concepts sentence i's heading or list label names; a
    substantive list item under it is evidence of them (a bullet under "Labels"); a bare item is not, nor is
    prose (on the judged write-ups, list items under a concept heading were right 0.68 of the time, prose
    paragraphs under one 0.43). Among mentions of the same credit class (the decoded stage a home stage or not)
    the one whose sentence reads most like the concept's spec (`fit`) is the evidence, then the earliest."""
    cfg = rubric.detection
    if cfg is None:
        return []
    specs = {d.id: d for d in rubric.detectors}
    stage_ids = rubric.stage_ids
    membership = [stage_membership(s, stage_ids) for s in answer.sentences]
    best: dict[str, tuple[tuple[float, bool, bool, float, int], DetectorHit]] = {}
    for i, (sent, ms, q) in enumerate(zip(answer.sentences, mentions, quality)):
        if "repeat" in q.kinds or sent.role in _NOT_EVIDENCE:
            continue
        own = {m.detector for m in ms}
        under = [Mention(d, 0, 0, False) for d in sorted(context[i]) if d not in own] \
            if i < len(context) and not q.weak and sent.role == "item" else []
        for m in [*ms, *under]:
            direct = m.detector in own  # the sentence's own words, not only its heading's
            spec = specs[m.detector]
            # how much the sentence is in a home stage: 1 or 0 under a heading, the decoder's probability where
            # its stage was inferred (so credit moves smoothly with the embeddings)
            home = float(sum(p for s, p in zip(stage_ids, membership[i]) if s in spec.stages))
            # `rank`: the credit class that picks the evidence (by the decoded stage: a stage probability's last
            # digits must not outrank how well a sentence reads as the concept); `credit`: what it earns
            if m.negated:
                rank = credit = 0.0
                note = "negated or dismissed"
            elif q.weak:
                rank = credit = cfg.weak_credit
                note = _WEAK_NOTE[q.kinds[0]]
            else:
                rank = 1.0 if sent.stage in spec.stages else cfg.off_stage_credit
                credit = home + (1.0 - home) * cfg.off_stage_credit
                note = "" if home >= 0.5 else \
                    f"outside its stage(s) {', '.join(spec.stages)}" if sent.stage else "no stage heading"
            hit = DetectorHit(id=m.detector, hit=credit > 0 and not q.weak, negated=m.negated,
                              stage=sent.stage, evidence=sent.text, start=sent.start, credit=credit, note=note,
                              description=spec.description)
            # best credit class; a negated mention beats none; the sentence's own words beat its heading's; then
            # the most spec-like; the earliest
            key = (rank, not m.negated, direct, (fit or {}).get((i, m.detector), 0.0), -i)
            if m.detector not in best or key > best[m.detector][0]:
                best[m.detector] = (key, hit)
    return [best[d.id][1] for d in rubric.detectors if d.id in best]


_WEAK_NOTE = {"fragment": "bare list item, no claim", "stuffed": "sentence stuffed with concepts",
              "definition": "glossary definition"}

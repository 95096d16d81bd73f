"""Is a detector's mention evidence of its concept, read in context? A small logistic model per candidate
(sentence, concept) over the sentence's embedding similarity to the concept's spec (the rubric detector's
`description`: what counts, one example that earns it, one look-alike that does not), its heading's similarity
to the spec, and cues of form (its own words or only its heading's, a long `near` span, a list item, a table
row, a bare fragment, the concept's home stage, length). The weights are fitted on labelled sentences by
`benchmarks/fit_verifier.py` and kept in the rubric (`detection.verifier`): numbers in YAML, no pickle.

A candidate below the threshold is not evidence: it earns nothing and is not reported. Flags that say a concept
is missing still see every mention (`grader.pipeline.grade.named_concepts`).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

import numpy as np

from grader.embedding.cache import EmbeddingTable
from grader.models import DetectorSpec, Rubric, SectionedAnswer, VerifierConfig
from grader.pipeline.detect import Mention
_SPEC = re.compile(r"^\s*What counts:\s*(?P<what>.*?)\s*Counts:\s*'(?P<pos>.*?)'\.?\s*Not:\s*'(?P<neg>.*?)'\.?\s*$",
                   re.DOTALL)
_LONG_SPAN = 4  # tokens: a longer span comes from a `near` match, words apart


def spec_texts(spec: DetectorSpec) -> tuple[str, str, str]:
    """(what counts, the example that earns it, the look-alike) of a detector's description; the whole
    description three times when it does not have that shape, the id when it is empty."""
    return _spec_parts(spec.description, spec.id.replace("_", " "))


@functools.lru_cache(maxsize=1024)
def _spec_parts(description: str, fallback: str) -> tuple[str, str, str]:
    m = _SPEC.match(description)
    if m:
        return m.group("what"), m.group("pos"), m.group("neg")
    text = description or fallback
    return text, text, text


class _SpecVectors(dict):  # type: ignore[type-arg]
    """Detector id -> the embeddings of its spec texts (rows: what counts, example, look-alike), looked up in the
    batch's table on first use: an answer needs the few concepts it mentions, not all of them."""

    def __init__(self, rubric: Rubric, table: EmbeddingTable) -> None:
        super().__init__()
        self.specs = {d.id: d for d in rubric.detectors}
        self.table = table

    def __missing__(self, key: str) -> np.ndarray:
        self[key] = vec = self.table.matrix(list(spec_texts(self.specs[key])))
        return vec


def verifier_texts(rubric: Rubric) -> list[str]:
    """The texts sentences are compared with (embedded with the batch): every detector's spec."""
    return [t for d in rubric.detectors for t in spec_texts(d)]


def spec_fit(sa: SectionedAnswer, mentions: Sequence[Sequence[Mention]], context: Sequence[frozenset[str]],
             rubric: Rubric, table: EmbeddingTable) -> dict[tuple[int, str], float]:
    """(sentence index, concept) -> how much the sentence reads like the concept's spec (cosine to "what
    counts" plus cosine to its example), for every candidate: which of several mentions is the evidence."""
    specs = _SpecVectors(rubric, table)
    out: dict[tuple[int, str], float] = {}
    for i, (s, ms) in enumerate(zip(sa.sentences, mentions)):
        ids = {m.detector for m in ms} | set(context[i] if i < len(context) else ())
        if ids:
            vec = table.matrix([s.text])[0]
            for d in ids:
                out[(i, d)] = round(float((specs[d][:2] @ vec).sum()), 6)
    return out


def candidate_features(sim: tuple[float, float, float], sim_ctx: float, *, direct: bool, long_span: bool,
                       role: str, weak: bool, home: bool, words: int) -> dict[str, float]:
    """The features of one candidate, by name (`grader.models.VERIFIER_FEATURES`)."""
    return {"sim_spec": sim[0], "sim_pos": sim[1], "sim_neg": sim[2], "sim_ctx": sim_ctx,
            "direct": float(direct), "long_span": float(long_span), "item": float(role == "item"),
            "table": float(role == "table"), "weak": float(weak), "home": float(home),
            "log_words": math.log1p(words)}


def probability(features: dict[str, float], concept: str, cfg: VerifierConfig) -> float:
    z = cfg.intercept + cfg.concept_bias.get(concept, 0.0) + sum(
        w * features[name] for name, w in cfg.weights.items())
    return 1.0 / (1.0 + math.exp(-z))


def answer_candidates(sa: SectionedAnswer, mentions: Sequence[Sequence[Mention]],
                      context: Sequence[frozenset[str]], weak: Sequence[bool], rubric: Rubric,
                      table: EmbeddingTable) -> list[tuple[int, str, bool, dict[str, float]]]:
    """(sentence index, concept, direct, features) of every non-negated candidate of the answer: its own
    mentions, and the concepts its heading names."""
    specs = {d.id: d for d in rubric.detectors}
    spec_vec = _SpecVectors(rubric, table)
    out: list[tuple[int, str, bool, dict[str, float]]] = []
    for i, (s, ms) in enumerate(zip(sa.sentences, mentions)):
        own: dict[str, bool] = {}
        for m in ms:
            if not m.negated:
                own[m.detector] = own.get(m.detector, False) or m.end - m.start > _LONG_SPAN
        cands = [(d, True, own[d]) for d in own] + [(d, False, False) for d in sorted(context[i]) if d not in own]
        if not cands:
            continue
        vec = table.matrix([s.text])[0]
        ctx_vec = table.matrix([s.context])[0] if s.context else None
        for d, direct, long_span in cands:
            sims = spec_vec[d] @ vec
            sim_ctx = float(spec_vec[d][0] @ ctx_vec) if ctx_vec is not None else 0.0
            feats = candidate_features((float(sims[0]), float(sims[1]), float(sims[2])), sim_ctx, direct=direct,
                                       long_span=long_span, role=s.role, weak=weak[i],
                                       home=s.stage in specs[d].stages, words=len(s.text.split()))
            out.append((i, d, direct, feats))
    return out


def verify(sa: SectionedAnswer, mentions: Sequence[Sequence[Mention]], context: Sequence[frozenset[str]],
           weak: Sequence[bool], rubric: Rubric, table: EmbeddingTable
           ) -> tuple[list[list[Mention]], list[frozenset[str]]]:
    """The mentions and context concepts the verifier keeps (negated mentions are kept: they earn nothing
    anyway and say the concept was dismissed). Without a verifier in the rubric, everything is kept."""
    cfg = rubric.detection.verifier if rubric.detection else None
    if cfg is None:
        return [list(ms) for ms in mentions], list(context)
    dropped: set[tuple[int, str]] = set()
    for i, d, _, feats in answer_candidates(sa, mentions, context, weak, rubric, table):
        if probability(feats, d, cfg) < cfg.threshold:
            dropped.add((i, d))
    kept = [[m for m in ms if m.negated or (i, m.detector) not in dropped] for i, ms in enumerate(mentions)]
    ctx = [frozenset(d for d in c if (i, d) not in dropped) for i, c in enumerate(context)]
    return kept, ctx

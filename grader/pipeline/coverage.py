"""Coverage of a question's key points, stage by stage, by cosine similarity to the answer's sentences.

A key point's credit comes from its most similar sentence: full credit from a sentence in the key point's own
stage, `off_stage_factor` of it from a sentence elsewhere (a point made in the wrong place still counts,
less). A stage's coverage is the mean credit of its key points. Thresholds are the rubric's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.embedding.cache import EmbeddingTable
from grader.models import CoverageConfig, PointMatch, Question, SectionedAnswer, StageCoverage


def credit(similarity: float | np.ndarray, cfg: CoverageConfig) -> np.ndarray:
    return np.clip((np.asarray(similarity) - cfg.floor) / (cfg.full - cfg.floor), 0.0, 1.0)


def compute_coverage(
    answer: SectionedAnswer, question: Question, stage_ids: list[str], cfg: CoverageConfig,
    table: EmbeddingTable, weights: Sequence[float] | None = None,
) -> list[StageCoverage]:
    """`weights` (one per sentence, default 1) scale what a sentence can earn: a bare list item or a
    repeated sentence earns less or nothing (grader.pipeline.substance). A point counts as matched only through a
    full-weight sentence."""
    sentences = answer.sentences
    sims = table.matrix([kp.text for _, kp in question.all_key_points()]) @ table.matrix(
        [s.text for s in sentences]).T
    w = np.ones(len(sentences)) if weights is None else np.asarray(weights, dtype=float)
    stages = np.array([s.stage or "" for s in sentences], dtype=object)
    points: dict[str, list[PointMatch]] = {stage: [] for stage in stage_ids}
    for row, (stage, kp) in enumerate(question.all_key_points()):
        earned = credit(sims[row], cfg) * w
        order = earned + 1e-9 * sims[row]  # equal credit (e.g. both clipped at 1): the more similar wins
        best = _best(order, earned, stages == stage)
        other = _best(order, earned, stages != stage)
        c_in = best[1] if best else 0.0
        c_out = other[1] * cfg.off_stage_factor if other else 0.0
        in_stage = best is not None and (c_in >= c_out)
        idx = (best if in_stage else other or (None, 0.0))[0]
        sim = float(sims[row][idx]) if idx is not None else 0.0
        points[stage].append(PointMatch(
            stage=stage, id=kp.id, text=kp.text, similarity=sim, credit=max(c_in, c_out),
            matched=sim >= cfg.match and idx is not None and w[idx] >= 1.0,
            evidence=sentences[idx].text if idx is not None else None, in_stage=in_stage,
        ))
    return [StageCoverage(stage=s, coverage=float(np.mean([p.credit for p in pts])), points=pts)
            for s, pts in points.items() if pts]


def _best(order: np.ndarray, value: np.ndarray, mask: np.ndarray) -> tuple[int, float] | None:
    if not mask.any():
        return None
    idx = np.flatnonzero(mask)
    i = int(idx[np.argmax(order[idx])])  # first of equal maxima: deterministic
    return i, float(value[i])

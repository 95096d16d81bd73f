"""Coverage of a question's key points, stage by stage, by cosine similarity to the answer's sentences.

A key point's credit comes from the sentence that earns it most: full credit from a sentence in the key point's
own stage, `off_stage_factor` of it from a sentence elsewhere (a point made in the wrong place still counts,
less), in proportion where the sentence's stage was inferred (its probability of being in the point's stage).
A stage's coverage is the mean credit of its key points. Thresholds are the rubric's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.embedding.cache import EmbeddingTable
from grader.models import CoverageConfig, PointMatch, Question, SectionedAnswer, StageCoverage
from grader.pipeline.stages import stage_membership


def credit(similarity: float | np.ndarray, cfg: CoverageConfig) -> np.ndarray:
    return np.clip((np.asarray(similarity) - cfg.floor) / (cfg.full - cfg.floor), 0.0, 1.0)


def compute_coverage(
    answer: SectionedAnswer, question: Question, stage_ids: list[str], cfg: CoverageConfig,
    table: EmbeddingTable, weights: Sequence[float] | None = None,
) -> list[StageCoverage]:
    """`weights` (one per sentence, default 1) scale what a sentence can earn: a bare list item or a
    repeated sentence earns less or nothing (grader.pipeline.substance). A point counts as matched only through a
    full-weight sentence. A sentence earns a point's credit in proportion to how much it belongs to the point's
    stage (`stage_membership`: 1 or 0 under a heading, the decoder's probability where the stage was inferred)
    and `off_stage_factor` of it for the rest, so coverage moves smoothly with the embeddings instead of
    jumping when a run of unheaded sentences changes stage."""
    sentences = answer.sentences
    sims = table.matrix([kp.text for _, kp in question.all_key_points()]) @ table.matrix(
        [s.text for s in sentences]).T
    w = np.ones(len(sentences)) if weights is None else np.asarray(weights, dtype=float)
    member = np.array([stage_membership(s, stage_ids) for s in sentences]).reshape(len(sentences), len(stage_ids))
    column = {s: k for k, s in enumerate(stage_ids)}
    points: dict[str, list[PointMatch]] = {stage: [] for stage in stage_ids}
    for row, (stage, kp) in enumerate(question.all_key_points()):
        inside = member[:, column[stage]] if stage in column else np.zeros(len(sentences))
        earned = credit(sims[row], cfg) * w * (inside + (1.0 - inside) * cfg.off_stage_factor)
        order = earned + 1e-9 * sims[row]  # equal credit (e.g. both clipped at 1): the more similar wins
        idx = int(np.argmax(order)) if len(sentences) else None  # first of equal maxima: deterministic
        sim = float(sims[row][idx]) if idx is not None else 0.0
        points[stage].append(PointMatch(
            stage=stage, id=kp.id, text=kp.text, similarity=sim, credit=float(earned[idx]) if idx is not None else 0.0,
            matched=sim >= cfg.match and idx is not None and w[idx] >= 1.0,
            evidence=sentences[idx].text if idx is not None else None,
            in_stage=idx is not None and bool(inside[idx] >= 0.5),
        ))
    return [StageCoverage(stage=s, coverage=float(np.mean([p.credit for p in pts])), points=pts)
            for s, pts in points.items() if pts]

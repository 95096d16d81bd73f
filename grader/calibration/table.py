"""The feature table: everything calibration needs about a dataset, after the pipeline ran once over it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from grader.calibration.features import lexical_vectors, round_vectors
from grader.models import CalibrationConfig, Dataset, Scale


# ------------------------------------------------------------------------------------------- feature table


@dataclass
class FeatureTable:
    """Everything calibration needs about a dataset, after the pipeline ran once over it."""

    ids: list[str]
    questions: list[str]  # rubric question id per answer ("" when the question has no key points)
    groups: list[str]  # dataset question id per answer (CV groups, neighbour sets)
    names: list[str]  # reference feature names
    reference: np.ndarray  # n x len(names); rows of answers without reference features are NaN
    vectors: np.ndarray  # n x dim, float16-rounded unit vectors
    texts: list[str]  # answer texts (lexical neighbours)
    grades: dict[str, np.ndarray]  # dimension -> 0..1 grades
    splits: list[str | None]
    scale: Scale
    raw_names: dict[str, str] = field(default_factory=dict)  # dimension -> reference feature of its raw score

    lexical: object = None  # sparse lexical vectors of `texts`, built on first use
    _sims: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def question_sims(self, group: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cosine similarities among one question's answers (vectors, lexical), computed once, and a map
        row index -> position in those matrices."""
        if group not in self._sims:
            idx = np.flatnonzero(np.asarray(self.groups) == group)
            lex = self.lexical[idx]
            where = np.full(len(self.ids), -1)
            where[idx] = np.arange(len(idx))
            self._sims[group] = ((self.vectors[idx] @ self.vectors[idx].T).astype(np.float64),
                                 (lex @ lex.T).toarray(), where)
        return self._sims[group]

    @property
    def has_reference(self) -> np.ndarray:
        return ~np.isnan(self.reference).any(axis=1) if self.names else np.zeros(len(self.ids), bool)

    def raw(self, dimension: str) -> np.ndarray:
        name = self.raw_names.get(dimension)
        if name is None:
            return np.full(len(self.ids), np.nan)
        return self.reference[:, self.names.index(name)]


def normalise(grades: np.ndarray, scale: Scale) -> np.ndarray:
    return (np.asarray(grades, dtype=np.float64) - scale.min) / (scale.max - scale.min)


def to_scale(values: np.ndarray, scale: Scale) -> np.ndarray:
    return np.asarray(values) * (scale.max - scale.min) + scale.min


def raw_feature(dimension: str, names: Sequence[str]) -> str | None:
    """The raw pipeline score shown beside a dimension's grade: its own raw score, else the overall one."""
    for name in (f"raw_{dimension}", "raw_overall"):
        if name in names:
            return name
    return None


def build_table(dataset: Dataset, rows: Sequence[tuple[str, dict[str, float] | None, np.ndarray]],
                cfg: CalibrationConfig) -> FeatureTable:
    """`rows` (one per dataset answer, in order): rubric question id, reference features or None, vector."""
    names = next((list(f) for _, f, _ in rows if f), [])
    ref = np.array([[f[k] for k in names] if f else [np.nan] * len(names) for _, f, _ in rows], dtype=np.float64)
    ref = ref.reshape(len(rows), len(names))
    return FeatureTable(
        ids=[a.id for a in dataset.answers], questions=[q for q, _, _ in rows],
        groups=[a.question_id or q for a, (q, _, _) in zip(dataset.answers, rows)], names=names, reference=ref,
        vectors=round_vectors(np.stack([v for _, _, v in rows])) if rows else np.zeros((0, 0), np.float32),
        texts=[a.answer.text for a in dataset.answers],
        lexical=lexical_vectors([a.answer.text for a in dataset.answers], cfg),
        grades={d: normalise([a.grades.get(d, np.nan) for a in dataset.answers], dataset.scale)
                for d in dataset.dimensions},
        splits=[a.split for a in dataset.answers], scale=dataset.scale,
        raw_names={d: n for d in dataset.dimensions if (n := raw_feature(d, names))})

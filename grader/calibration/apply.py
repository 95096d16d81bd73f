"""Applying a loaded calibration at grade time: an answer's features -> grades on the human scale."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grader.calibration.estimators import predict
from grader.calibration.features import NEIGHBOUR_FEATURES, graded_neighbour_features, lexical_vectors, round_vectors
from grader.calibration.fit import _fallback, _variant_of
from grader.calibration.store import unpack_vectors
from grader.calibration.table import to_scale
from grader.models import Calibration, Scale


# ------------------------------------------------------------------------------------ applying at grade time


@dataclass
class Applied:
    grade: float  # clipped, rounded to the scale's grid where it is ordinal/binary
    value: float  # unrounded, on the human scale
    variant: str


class Calibrator:
    """A loaded calibration ready to grade answers: neighbours unpacked once, grouped by question."""

    def __init__(self, cal: Calibration) -> None:
        self.cal = cal
        self.fingerprint = hashlib.sha256(cal.model_dump_json().encode()).hexdigest()[:16]
        self.needed = frozenset(f for m in cal.dimensions.values() for e in m.variants.values() for f in e.features)
        self._vectors = unpack_vectors(cal.neighbours.vectors, cal.neighbours.dim)
        qids = np.asarray(cal.neighbours.question_ids)
        self._by_question = {q: np.flatnonzero(qids == q) for q in np.unique(qids)} if len(qids) else {}
        self._grades = {d: np.asarray(g, dtype=np.float64) for d, g in cal.neighbours.grades.items()}
        self._texts = np.asarray(cal.neighbours.texts, dtype=object)
        self._lexical: dict[str, object] = {}

    def apply(self, question_id: str, text: str, features: dict[str, float] | None,
              vector: np.ndarray) -> dict[str, Applied]:
        """Grades of one answer: `features` its reference features (None without key points), `vector` its
        answer vector, `text` its text (lexical neighbours)."""
        cfg = self.cal.config
        idx = self._by_question.get(question_id, np.zeros(0, dtype=int))
        vec = round_vectors(vector[None, :])
        if len(idx):
            if question_id not in self._lexical:
                self._lexical[question_id] = lexical_vectors([self.cal.neighbours.texts[i] for i in idx], cfg)
            nb_lex = self._lexical[question_id]
            lex_row = lexical_vectors([text], cfg)
        out: dict[str, Applied] = {}
        # An answer is never its own neighbour: the model learnt its neighbour features out of fold, so an answer
        # that was in the training set would otherwise meet itself at similarity 1 (features it never saw).
        other = self._texts[idx] != text if len(idx) else np.zeros(0, dtype=bool)
        for dim, model in self.cal.dimensions.items():
            keep = (self._grades[dim][idx] >= 0) & other if len(idx) else np.zeros(0, dtype=bool)
            nb = np.zeros((1, len(NEIGHBOUR_FEATURES)))
            if keep.any():
                nv, nl = self._vectors[idx[keep]], nb_lex[np.flatnonzero(keep)]
                nb = graded_neighbour_features((vec @ nv.T).astype(np.float64), (nv @ nv.T).astype(np.float64),
                                               (lex_row @ nl.T).toarray(), (nl @ nl.T).toarray(),
                                               self._grades[dim][idx[keep]], cfg)
            has_nb = int(keep.sum()) >= cfg.neighbours_min
            name = _fallback(model, int(_variant_of(np.array([features is not None]), np.array([has_nb]))[0]))
            est = model.variants[name]
            row = [nb[0, NEIGHBOUR_FEATURES.index(f)] if f in NEIGHBOUR_FEATURES else features[f]
                   for f in est.features]
            value = float(to_scale(predict(est, np.asarray([row], dtype=np.float64)), self.cal.scale)[0])
            out[dim] = Applied(grade=snap(value, self.cal.scale), value=value, variant=name)
        return out


def snap(value: float, scale: Scale) -> float:
    """Clip to the scale; round to its grid (halves up) when it is ordinal or binary."""
    v = min(max(value, scale.min), scale.max)
    if scale.discrete:
        v = scale.min + math.floor((v - scale.min) / scale.step + 0.5 + 1e-9) * scale.step
        v = min(max(v, scale.min), scale.max)
    return round(float(v), 10)


def fingerprint_rows(rows: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()

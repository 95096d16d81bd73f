"""Fitting and predicting a dimension (one model per variant of available features), and cross-validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grader.calibration.estimators import FitContext, predict, select_model
from grader.calibration.features import NEIGHBOUR_FEATURES, graded_neighbour_features
from grader.calibration.table import FeatureTable
from grader.errors import GraderError
from grader.models import CalibrationConfig, DimensionModel, FittedEstimator, Scale

VARIANTS = ("reference+neighbours", "reference", "neighbours", "prior")


# ------------------------------------------------------------------------------------------ fit / predict


def _grid(scale: Scale) -> float | None:
    return scale.step / (scale.max - scale.min) if scale.discrete else None


def _neighbours(table: FeatureTable, dimension: str, train: np.ndarray, rows: np.ndarray,
                cfg: CalibrationConfig) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour features of `rows` against the graded `train` answers of their own question (never the answer
    itself); the mask says which rows have at least `neighbours_min` graded neighbours (none without
    `cfg.neighbours`)."""
    feats = np.zeros((len(rows), len(NEIGHBOUR_FEATURES)))
    ok = np.zeros(len(rows), dtype=bool)
    if not cfg.neighbours:
        return feats, ok
    y = table.grades[dimension]
    groups = np.asarray(table.groups)
    train = train[~np.isnan(y[train])]
    for g in np.unique(groups[rows]):
        pos = np.flatnonzero(groups[rows] == g)
        nb = train[groups[train] == g]
        if not len(nb):
            continue
        if np.isin(rows[pos], nb).any():
            raise ValueError("an answer cannot be its own graded neighbour")
        emb, lex, where = table.question_sims(g)
        r, n = where[rows[pos]], where[nb]
        feats[pos] = graded_neighbour_features(emb[np.ix_(r, n)], emb[np.ix_(n, n)], lex[np.ix_(r, n)],
                                               lex[np.ix_(n, n)], y[nb], cfg)
        ok[pos] = len(nb) >= cfg.neighbours_min
    return feats, ok


def _has_neighbours(table: FeatureTable, dimension: str, train: np.ndarray, rows: np.ndarray,
                    cfg: CalibrationConfig) -> np.ndarray:
    if not cfg.neighbours:
        return np.zeros(len(rows), dtype=bool)
    y = table.grades[dimension]
    groups = np.asarray(table.groups)
    graded = groups[train[~np.isnan(y[train])]]
    names, counts = np.unique(graded, return_counts=True)
    count = dict(zip(names.tolist(), counts.tolist()))
    return np.array([count.get(g, 0) >= cfg.neighbours_min for g in groups[rows]], dtype=bool)


def _train_neighbours(table: FeatureTable, dimension: str, train: np.ndarray, cfg: CalibrationConfig,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k-NN features of the training rows, out of fold: each fold's rows against the other folds' graded
    answers. (Leave-one-out would leak: an answer's "mean of the others" moves against its own grade, which a
    model learns and cannot use on new answers.)"""
    from sklearn.model_selection import KFold

    feats = np.zeros((len(train), len(NEIGHBOUR_FEATURES)))
    ok = np.zeros(len(train), dtype=bool)
    if len(train) < 2:
        return feats, ok
    for rest, part in KFold(min(cfg.neighbour_folds, len(train)), shuffle=True, random_state=seed).split(train):
        feats[part], ok[part] = _neighbours(table, dimension, train[rest], train[part], cfg)
    return feats, ok


def _variant_of(has_ref: np.ndarray, has_nb: np.ndarray) -> np.ndarray:
    return np.where(has_ref & has_nb, 0, np.where(has_ref, 1, np.where(has_nb, 2, 3)))


def selected_features(names: Sequence[str], dimension: str, cfg: CalibrationConfig) -> list[int]:
    """Columns of the reference features a dimension's models see: `cfg.features` with `{dimension}` filled in
    (every column when empty); a template naming no column of this table is skipped."""
    if not cfg.features:
        return list(range(len(names)))
    wanted = dict.fromkeys(t.replace("{dimension}", dimension) for t in cfg.features)
    return [names.index(w) for w in wanted if w in names]


def _design(table: FeatureTable, variant: int, rows: np.ndarray, nb: np.ndarray, dimension: str,
            cfg: CalibrationConfig) -> tuple[np.ndarray, list[str]]:
    use_ref, use_nb = variant in (0, 1), variant in (0, 2)
    parts, names = [], []
    if use_ref:
        cols = selected_features(table.names, dimension, cfg)
        parts.append(table.reference[rows][:, cols])
        names += [table.names[c] for c in cols]
    if use_nb:
        parts.append(nb)
        names += list(NEIGHBOUR_FEATURES)
    X = np.hstack(parts) if parts else np.zeros((len(rows), 0))
    return X, names


def fit_dimension(table: FeatureTable, dimension: str, train: np.ndarray, cfg: CalibrationConfig, seed: int,
                  grouped: bool, needed: Sequence[int] = (0, 1, 2, 3)) -> DimensionModel:
    """Fit every needed variant on the `train` rows (those with this dimension graded)."""
    y_all = table.grades[dimension]
    train = train[~np.isnan(y_all[train])]
    nb, has_nb = _train_neighbours(table, dimension, train, cfg, seed)
    has_ref = table.has_reference[train]
    groups = np.asarray(table.groups)[train] if grouped else None
    ctx = FitContext(cfg, seed, _grid(table.scale), -1)
    primary = {0: "knn_mean", 1: table.raw_names.get(dimension, ""), 2: "knn_mean", 3: ""}
    variants: dict[str, FittedEstimator] = {}
    for wanted in sorted(set(needed)):
        for v in _CHAIN[wanted]:  # the variant itself, else the next poorer one that has training rows
            if VARIANTS[v] in variants:
                break
            sel = {0: has_ref & has_nb, 1: has_ref, 2: has_nb, 3: np.ones(len(train), bool)}[v]
            if not sel.any():
                continue
            X, names = _design(table, v, train[sel], nb[sel], dimension, cfg)
            variants[VARIANTS[v]] = select_model(X, y_all[train][sel], None if groups is None else groups[sel],
                                                 names, primary[v], ctx)
            break
    return DimensionModel(dimension=dimension, raw=table.raw_names.get(dimension, ""), variants=variants)


def predict_rows(model: DimensionModel, table: FeatureTable, train: np.ndarray, rows: np.ndarray,
                 cfg: CalibrationConfig) -> tuple[np.ndarray, list[str]]:
    """0..1 predictions for `rows` with neighbours from `train`; each row uses the richest fitted variant its
    features allow."""
    y_all = table.grades[model.dimension]
    train = train[~np.isnan(y_all[train])]
    nb, has_nb = _neighbours(table, model.dimension, train, rows, cfg)
    variant = _variant_of(table.has_reference[rows], has_nb)
    out = np.empty(len(rows))
    used = [""] * len(rows)
    for v in range(len(VARIANTS)):
        sel = np.flatnonzero(variant == v)
        if not len(sel):
            continue
        name = _fallback(model, v)
        X, _ = _design(table, VARIANTS.index(name), rows[sel], nb[sel], model.dimension, cfg)
        out[sel] = predict(model.variants[name], X)
        for i in sel:
            used[i] = name
    return out, used


_CHAIN = {0: (0, 1, 2, 3), 1: (1, 3), 2: (2, 3), 3: (3,)}


def _fallback(model: DimensionModel, v: int) -> str:
    for c in _CHAIN[v]:
        if VARIANTS[c] in model.variants:
            return VARIANTS[c]
    raise GraderError(f"calibration for {model.dimension!r} has no model for these features")


@dataclass
class CVResult:
    dimension: str
    predicted: np.ndarray  # 0..1
    fold: np.ndarray
    variant: list[str]
    chosen: dict[str, list[str]]  # variant -> model kind chosen in each fold


def cross_validate(table: FeatureTable, dimension: str, *, folds: int, seed: int, group_by: str,
                   cfg: CalibrationConfig, cv_groups: Sequence[str] | None = None) -> CVResult:
    """Out-of-fold predictions: `group_by="question"` keeps each question's answers in one fold
    (GroupKFold: unseen questions); `"none"` splits answers at random (KFold, shuffled with `seed`);
    `cv_groups` (one label per table row, e.g. the source repository) keeps each label's answers in one fold
    and wins over `group_by`."""
    from sklearn.model_selection import GroupKFold, KFold

    y = table.grades[dimension]
    rows = np.flatnonzero(~np.isnan(y))
    groups = np.asarray(cv_groups if cv_groups is not None else table.groups)[rows]
    n_groups = len(np.unique(groups))
    if group_by == "question" and cv_groups is None and n_groups < 2:
        raise GraderError("--group-by question needs at least two questions")
    if cv_groups is not None or group_by == "question":
        splits = GroupKFold(min(folds, n_groups)).split(rows, groups=groups)
    else:
        splits = KFold(min(folds, len(rows)), shuffle=True, random_state=seed).split(rows)
    pred = np.full(len(y), np.nan)
    fold = np.full(len(y), -1)
    variant = [""] * len(y)
    chosen: dict[str, list[str]] = {}
    for k, (tr, te) in enumerate(splits):
        train, test = rows[tr], rows[te]
        needed = needed_variants(table, dimension, train, test, cfg)
        model = fit_dimension(table, dimension, train, cfg, seed, group_by == "question", needed)
        p, used = predict_rows(model, table, train, test, cfg)
        pred[test], fold[test] = p, k
        for i, u in zip(test, used):
            variant[i] = u
        for name, est in model.variants.items():
            chosen.setdefault(name, []).append(est.kind)
    return CVResult(dimension, pred, fold, variant, chosen)


def needed_variants(table: FeatureTable, dimension: str, train: np.ndarray, test: np.ndarray,
            cfg: CalibrationConfig) -> set[int]:
    has_nb = _has_neighbours(table, dimension, train, test, cfg)
    return set(_variant_of(table.has_reference[test], has_nb).tolist())

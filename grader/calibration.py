"""Calibration: from the pipeline's raw output to grades on a human scale.

Features (all from the pipeline's stages: sections -> embeddings -> coverage -> scores):

- *reference* features, for answers to a question with key points (a rubric question, or a short-answer
  question with a reference answer): the raw overall and dimension scores; similarity of the answer's
  sentences to the key points (best, mean of each point's best, mean of each sentence's best, coverage at the
  configured thresholds); similarity of the whole answer (mean sentence vector) to the reference and to the
  question; lexical overlap of content words with the reference (recall, precision) and with the question;
  length (log words, and log ratio to the reference).
- *neighbour* features, for answers to a question that already has graded answers (k-NN over the graded
  answers of the same question): similarity-weighted grade of the k nearest, grade and similarity of the
  nearest, the question's mean grade, the best similarity to a high-graded and to a low-graded answer, and
  the number of graded answers.

Missing features are never imputed: one model is fitted per *variant* of available features
(`reference+neighbours`, `reference`, `neighbours`, `prior`) and each answer is predicted by the richest
variant its features allow. Grades are modelled on the 0..1 scale (`(grade - min) / (max - min)`).

Each variant's model is chosen among the configured candidates (isotonic regression on the raw score, ridge,
logistic for ordinal/binary scales, gradient boosting) by an inner cross-validation on the training rows only,
so out-of-fold predictions never see their own fold. Fitted models are plain numbers in JSON (no pickle) and
are predicted here with numpy alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader import __version__
from grader.coverage import compute_coverage
from grader.embed import EmbeddingTable
from grader.errors import GraderError
from grader.models import (
    Calibration, CalibrationConfig, Dataset, DimensionModel, FittedEstimator, NeighbourSet, Question, Rubric,
    Scale, SectionedAnswer,
)
from grader.registry import Registry
from grader.scoring import score_dimensions

FEATURE_VERSION = "1"
VARIANTS = ("reference+neighbours", "reference", "neighbours", "prior")
NEIGHBOUR_FEATURES = ("knn_mean", "knn_top1", "knn_sim1", "knn_prior", "knn_sim_high", "knn_sim_low",
                      "krr_embed", "lex_knn_mean", "lex_knn_top1", "lex_knn_sim1", "krr_lex", "krr_both")
_KNN = 6  # the first six come from `neighbour_features`
_TOKEN = re.compile(r"[a-z0-9]+")
_STEM = 5  # content words are compared on their first five letters (a crude stemmer: evaporate/evaporated)
_NEGATIONS = frozenset({"no", "not", "never", "none", "nothing", "nor", "cannot", "without"})


# ------------------------------------------------------------------------------------------------ features


def answer_vector(answer: SectionedAnswer, table: EmbeddingTable) -> np.ndarray:
    """The answer as one unit vector: the normalised mean of its sentence vectors (zero when it has none)."""
    return _unit(table.matrix([s.text for s in answer.sentences]).mean(axis=0)) if answer.sentences else \
        np.zeros(table.dim, dtype=np.float32)


def answer_features(answer: SectionedAnswer, question: Question, rubric: Rubric, table: EmbeddingTable,
                    cfg: CalibrationConfig) -> dict[str, float]:
    """Reference features of one answer (see the module docstring), in a fixed order."""
    coverage = compute_coverage(answer, question, rubric.stage_ids, rubric.coverage, table)
    dims, overall = score_dimensions(coverage, rubric)
    points = [kp.text for _, kp in question.all_key_points()]
    sents = [s.text for s in answer.sentences]
    sims = table.matrix(points) @ table.matrix(sents).T
    best_point = sims.max(axis=1) if sents else np.zeros(len(points))
    f: dict[str, float] = {"raw_overall": overall}
    if len(dims) > 1:
        f |= {f"raw_{d}": v for d, v in dims.items()}
    if len(rubric.stages) > 1:
        f |= {f"cov_{c.stage}": c.coverage for c in coverage}
    f["sim_max"] = float(best_point.max()) if len(best_point) else 0.0
    f["sim_mean"] = float(best_point.mean()) if len(best_point) else 0.0
    f["sim_precision"] = float(sims.max(axis=0).mean()) if sents and points else 0.0
    for t in cfg.thresholds:
        f[f"cover_{t:g}"] = float((best_point >= t).mean()) if len(best_point) else 0.0
    vec = answer_vector(answer, table)
    f["doc_sim"] = float(vec @ _unit(table.matrix(points).mean(axis=0))) if points else 0.0
    f["question_sim"] = float(vec @ table.matrix([question.prompt])[0]) if question.prompt.strip() else 0.0
    lex = lexical_vectors([answer.answer.text, " ".join(points), *points], cfg)
    lex_sims = (lex[0] @ lex[1:].T).toarray()[0] if points else np.zeros(1)
    f["lex_char_reference"] = float(lex_sims[0])
    f["lex_char_max"] = float(lex_sims[1:].max()) if points else 0.0
    best = points[int(np.argmax(sims.max(axis=1)))] if sents and points else ""
    f["negation_mismatch"] = float(_negated(answer.answer.text) != _negated(best)) if best else 0.0
    words = _content(answer.answer.text)
    ref = _content(" ".join(points))
    asked = _content(question.prompt)
    f["lex_recall"] = len(words & ref) / len(ref) if ref else 0.0
    f["lex_precision"] = len(words & ref) / len(words) if words else 0.0
    f["lex_question"] = len(words & asked) / len(words) if words else 0.0
    recalls = [len(words & kp) / len(kp) for kp in map(_content, points) if kp]
    f["lex_recall_best"] = max(recalls, default=0.0)
    novel_ref, novel_words = ref - asked, words - asked  # "question demoting": words the question gives away
    f["lex_recall_novel"] = len(novel_words & novel_ref) / len(novel_ref) if novel_ref else 0.0
    f["lex_precision_novel"] = len(novel_words & novel_ref) / len(novel_words) if novel_words else 0.0
    n_words = len(answer.answer.text.split())
    f["log_words"] = math.log1p(n_words)
    f["length_ratio"] = math.log1p(n_words) - math.log1p(sum(len(p.split()) for p in points))
    return {k: float(v) for k, v in f.items()}


def neighbour_features(sims: np.ndarray, grades: np.ndarray, cfg: CalibrationConfig) -> np.ndarray:
    """k-NN features (the first `_KNN` of `NEIGHBOUR_FEATURES`) of m answers against n graded answers of the same
    question: `sims` is m x n (-inf marks an excluded pair, e.g. an answer and itself), `grades` on 0..1."""
    m, n = sims.shape
    valid = np.isfinite(sims)
    counts = valid.sum(axis=1)
    k = min(cfg.neighbours_k, n)
    order = np.argsort(-np.where(valid, sims, -np.inf), axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(sims, order, axis=1)
    g = grades[order]
    ok = np.isfinite(top)
    w = np.where(ok, np.exp((np.where(ok, top, 0.0) - np.where(ok[:, :1], top[:, :1], 0.0))
                            / cfg.neighbour_temperature), 0.0)
    out = np.zeros((m, _KNN))
    out[:, 0] = (w * g).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)
    out[:, 1] = g[:, 0]
    out[:, 2] = np.where(ok[:, 0], top[:, 0], 0.0)
    total = np.where(valid, grades[None, :], 0.0).sum(axis=1)
    out[:, 3] = total / np.maximum(counts, 1)
    high = grades >= 0.5
    for col, mask in ((4, high), (5, ~high)):
        masked = np.where(valid & mask[None, :], sims, -np.inf)
        best = masked.max(axis=1) if n else np.full(m, -np.inf)
        out[:, col] = np.where(np.isfinite(best), best, 0.0)
    return out


def graded_neighbour_features(sims: np.ndarray, kernel: np.ndarray, lex: np.ndarray, lex_kernel: np.ndarray,
                              grades: np.ndarray, cfg: CalibrationConfig) -> np.ndarray:
    """All neighbour features (`NEIGHBOUR_FEATURES` order) of m answers against n graded answers of the same
    question (none of them the answer itself), grades on 0..1. `sims` (m x n) and `kernel` (n x n) are cosine
    similarities of answer vectors, `lex` and `lex_kernel` the same for lexical vectors: k-NN and kernel ridge
    over each (the lexical side sees wording and negation that sentence vectors blur)."""
    out = np.zeros((sims.shape[0], len(NEIGHBOUR_FEATURES)))
    if not len(grades) or not len(sims):
        return out
    out[:, :_KNN] = neighbour_features(sims, grades, cfg)
    p = cfg.neighbour_kernel_power
    out[:, _KNN] = _kernel_ridge(kernel ** p, sims ** p, grades, cfg.neighbour_ridge)
    out[:, _KNN + 1:_KNN + 4] = neighbour_features(lex, grades, cfg)[:, :3]
    out[:, _KNN + 4] = _kernel_ridge(lex_kernel ** p, lex ** p, grades, cfg.neighbour_ridge)
    out[:, _KNN + 5] = _kernel_ridge((kernel ** p + lex_kernel ** p) / 2, (sims ** p + lex ** p) / 2, grades,
                                     cfg.neighbour_ridge)
    return out


def lexical_vectors(texts: Sequence[str], cfg: CalibrationConfig):
    """Character n-gram vectors (within word boundaries, lower-cased, log term frequency, L2-normalised),
    hashed, so that they need no fitted vocabulary: the same text always gets the same vector."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize

    counts = HashingVectorizer(analyzer="char_wb", ngram_range=tuple(cfg.lexical_ngrams), n_features=2 ** 20,
                               alternate_sign=False, norm=None, dtype=np.float64).transform(list(texts))
    counts.data = np.log1p(counts.data)
    return normalize(counts).tocsr()


def _kernel_ridge(k_nn: np.ndarray, k_mn: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Kernel ridge regression on the neighbours' grades (centred on their mean), predicted for m answers."""
    mean = float(np.mean(y))
    alpha = np.linalg.solve(np.asarray(k_nn, dtype=np.float64) + lam * np.eye(len(y)), y - mean)
    return np.clip(k_mn @ alpha + mean, 0.0, 1.0)


def _negated(text: str) -> bool:
    return any(t in _NEGATIONS for t in _TOKEN.findall(text.lower().replace("n't", " not")))


def _content(text: str) -> set[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return {t[:_STEM] for t in _TOKEN.findall(text.lower()) if t in _NEGATIONS or t not in STOP_WORDS}


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return (v / norm).astype(np.float32) if norm > 0 else np.zeros_like(v, dtype=np.float32)


def round_vectors(vectors: np.ndarray) -> np.ndarray:
    """Vectors as the calibration file stores them (float16), so fitting and applying see the same numbers."""
    return np.asarray(vectors, dtype=np.float16).astype(np.float32)


# ---------------------------------------------------------------------------------------------- estimators


@dataclass(frozen=True)
class Estimator:
    """A candidate model: `fit(X, y, ctx) -> params` (JSON-able), `predict(params, X) -> y` in numpy."""

    name: str
    fit: Callable[[np.ndarray, np.ndarray, "FitContext"], dict]
    predict: Callable[[dict, np.ndarray], np.ndarray]
    applies: Callable[["FitContext"], bool] = lambda ctx: True


@dataclass(frozen=True)
class FitContext:
    cfg: CalibrationConfig
    seed: int
    grid: float | None  # the scale's step on 0..1 for ordinal/binary scales, else None
    primary: int  # column of the raw score (isotonic uses it alone)


ESTIMATORS: Registry[Estimator] = Registry("calibration model")


def _register(est: Estimator) -> Estimator:
    return ESTIMATORS.register(est.name)(est)


def _standardize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    return mean, np.where(std > 1e-12, std, 1.0)


def _fit_constant(X, y, ctx):
    return {"value": float(np.mean(y))}


def _fit_isotonic(X, y, ctx):
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(X[:, ctx.primary], y)
    return {"column": ctx.primary, "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}


def _predict_isotonic(p, X):
    return np.interp(X[:, p["column"]], p["x"], p["y"])


def _fit_ridge(X, y, ctx):
    from sklearn.linear_model import RidgeCV

    mean, std = _standardize(X)
    r = RidgeCV(alphas=ctx.cfg.ridge_alphas).fit((X - mean) / std, y)
    coef = r.coef_ / std
    return {"alpha": float(r.alpha_), "coef": coef.tolist(), "intercept": float(r.intercept_ - coef @ mean)}


def _predict_linear(p, X):
    return X @ np.asarray(p["coef"]) + p["intercept"]


def _fit_logistic(X, y, ctx):
    from sklearn.linear_model import LogisticRegression

    labels = np.rint(y / ctx.grid).astype(int)
    classes = np.unique(labels)
    if len(classes) < 2:
        return {"classes": [float(classes[0] * ctx.grid)], "coef": [[0.0] * X.shape[1]], "intercept": [0.0]}
    mean, std = _standardize(X)
    lr = LogisticRegression(C=ctx.cfg.logistic_c, max_iter=2000).fit((X - mean) / std, labels)
    coef = lr.coef_ / std
    return {"classes": (lr.classes_ * ctx.grid).tolist(), "coef": coef.tolist(),
            "intercept": (lr.intercept_ - coef @ mean).tolist()}


def _predict_logistic(p, X):
    classes = np.asarray(p["classes"])
    if len(classes) == 1:
        return np.full(len(X), classes[0])
    z = X @ np.asarray(p["coef"]).T + np.asarray(p["intercept"])
    if len(classes) == 2:
        p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return classes[0] + (classes[1] - classes[0]) * p1
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)) @ classes


def _fit_boosting(X, y, ctx):
    from sklearn.ensemble import HistGradientBoostingRegressor

    c = ctx.cfg
    with _one_thread():
        gb = HistGradientBoostingRegressor(max_iter=c.boosting_trees, max_depth=c.boosting_depth,
                                           learning_rate=c.boosting_rate, min_samples_leaf=c.boosting_min_leaf,
                                           l2_regularization=c.boosting_l2, early_stopping=False,
                                           random_state=ctx.seed).fit(X, y)
    trees = []
    for (predictor,) in gb._predictors:  # the fitted trees; leaf values already include the learning rate
        nodes = predictor.nodes
        trees.append({"leaf": nodes["is_leaf"].astype(int).tolist(), "left": nodes["left"].astype(int).tolist(),
                      "right": nodes["right"].astype(int).tolist(),
                      "feature": nodes["feature_idx"].astype(int).tolist(),
                      "threshold": nodes["num_threshold"].tolist(),
                      "nan_left": nodes["missing_go_to_left"].astype(int).tolist(),
                      "value": nodes["value"].tolist()})
    return {"init": float(np.asarray(gb._baseline_prediction).ravel()[0]), "trees": trees}


def _predict_boosting(p, X):
    rows = np.arange(len(X))
    out = np.full(len(X), p["init"], dtype=np.float64)
    for t in p["trees"]:
        leaf, left, right = (np.asarray(t[k], dtype=bool if k == "leaf" else np.int64)
                             for k in ("leaf", "left", "right"))
        feat, thr = np.asarray(t["feature"]), np.asarray(t["threshold"])
        nan_left, value = np.asarray(t["nan_left"], dtype=bool), np.asarray(t["value"])
        node = np.zeros(len(X), dtype=np.int64)
        while not leaf[node].all():
            x = X[rows, feat[node]]
            go_left = np.where(np.isnan(x), nan_left[node], x <= thr[node])
            node = np.where(leaf[node], node, np.where(go_left, left[node], right[node]))
        out += value[node]
    return out


def _fit_blend(X, y, ctx):
    return {"ridge": _fit_ridge(X, y, ctx), "boosting": _fit_boosting(X, y, ctx)}


def _predict_blend(p, X):
    return (_predict_linear(p["ridge"], X) + _predict_boosting(p["boosting"], X)) / 2


_register(Estimator("constant", _fit_constant, lambda p, X: np.full(len(X), p["value"])))
_register(Estimator("isotonic", _fit_isotonic, _predict_isotonic, lambda ctx: ctx.primary >= 0))
_register(Estimator("ridge", _fit_ridge, _predict_linear))
_register(Estimator("logistic", _fit_logistic, _predict_logistic, lambda ctx: ctx.grid is not None))
_register(Estimator("boosting", _fit_boosting, _predict_boosting))
_register(Estimator("blend", _fit_blend, _predict_blend))


def predict(model: FittedEstimator, X: np.ndarray) -> np.ndarray:
    """Predictions of a fitted model on the 0..1 scale (clipped)."""
    return np.clip(ESTIMATORS.get(model.kind).predict(model.params, np.asarray(X, dtype=np.float64)), 0.0, 1.0)


def select_model(X: np.ndarray, y: np.ndarray, groups: np.ndarray | None, features: list[str], primary: str,
                 ctx_base: FitContext) -> FittedEstimator:
    """Choose among the configured candidates by cross-validated squared error on these rows only (grouped by
    `groups` when given), then refit the winner on all of them. Ties go to the earlier candidate."""
    from sklearn.model_selection import GroupKFold, KFold

    ctx = FitContext(ctx_base.cfg, ctx_base.seed, ctx_base.grid,
                     features.index(primary) if primary in features else -1)
    candidates = [c for c in ctx.cfg.candidates if ESTIMATORS.get(c).applies(ctx)]
    n = len(y)
    n_groups = len(np.unique(groups)) if groups is not None else n
    folds = min(ctx.cfg.inner_folds, n_groups)
    if X.shape[1] == 0 or n < 2 * ctx.cfg.inner_folds or folds < 2 or np.ptp(y) == 0:
        return FittedEstimator(kind="constant", features=features, params=_fit_constant(X, y, ctx))
    splitter = GroupKFold(folds) if groups is not None else KFold(folds, shuffle=True, random_state=ctx.seed)
    splits = list(splitter.split(X, y, groups))
    errors: dict[str, float] = {}
    for name in candidates:
        est = ESTIMATORS.get(name)
        pred = np.empty(n)
        for tr, te in splits:
            pred[te] = np.clip(est.predict(est.fit(X[tr], y[tr], ctx), X[te]), 0.0, 1.0)
        errors[name] = float(np.mean((pred - y) ** 2))
    best = min(candidates, key=lambda c: (errors[c], candidates.index(c)))
    return FittedEstimator(kind=best, features=features, params=ESTIMATORS.get(best).fit(X, y, ctx),
                           cv_mse={k: round(v, 6) for k, v in errors.items()})


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


# ------------------------------------------------------------------------------------------ fit / predict


def _grid(scale: Scale) -> float | None:
    return scale.step / (scale.max - scale.min) if scale.discrete else None


def _neighbours(table: FeatureTable, dimension: str, train: np.ndarray, rows: np.ndarray,
                cfg: CalibrationConfig) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour features of `rows` against the graded `train` answers of their own question (never the answer
    itself); the mask says which rows have at least `neighbours_min` graded neighbours."""
    feats = np.zeros((len(rows), len(NEIGHBOUR_FEATURES)))
    ok = np.zeros(len(rows), dtype=bool)
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


def _design(table: FeatureTable, variant: int, rows: np.ndarray, nb: np.ndarray) -> tuple[np.ndarray, list[str]]:
    use_ref, use_nb = variant in (0, 1), variant in (0, 2)
    parts, names = [], []
    if use_ref:
        parts.append(table.reference[rows])
        names += table.names
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
            X, names = _design(table, v, train[sel], nb[sel])
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
        X, _ = _design(table, VARIANTS.index(name), rows[sel], nb[sel])
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
                   cfg: CalibrationConfig) -> CVResult:
    """Out-of-fold predictions: `group_by="question"` keeps each question's answers in one fold
    (GroupKFold: unseen questions); `"none"` splits answers at random (KFold, shuffled with `seed`)."""
    with _one_thread():
        return _cross_validate(table, dimension, folds=folds, seed=seed, group_by=group_by, cfg=cfg)


def _one_thread():
    """Fits and solves here are small: BLAS/OpenMP threads only contend (and add run-to-run noise)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _cross_validate(table: FeatureTable, dimension: str, *, folds: int, seed: int, group_by: str,
                    cfg: CalibrationConfig) -> CVResult:
    from sklearn.model_selection import GroupKFold, KFold

    y = table.grades[dimension]
    rows = np.flatnonzero(~np.isnan(y))
    groups = np.asarray(table.groups)[rows]
    n_groups = len(np.unique(groups))
    if group_by == "question":
        if n_groups < 2:
            raise GraderError("--group-by question needs at least two questions")
        splits = GroupKFold(min(folds, n_groups)).split(rows, groups=groups)
    else:
        splits = KFold(min(folds, len(rows)), shuffle=True, random_state=seed).split(rows)
    pred = np.full(len(y), np.nan)
    fold = np.full(len(y), -1)
    variant = [""] * len(y)
    chosen: dict[str, list[str]] = {}
    for k, (tr, te) in enumerate(splits):
        train, test = rows[tr], rows[te]
        needed = _needed(table, dimension, train, test, cfg)
        model = fit_dimension(table, dimension, train, cfg, seed, group_by == "question", needed)
        p, used = predict_rows(model, table, train, test, cfg)
        pred[test], fold[test] = p, k
        for i, u in zip(test, used):
            variant[i] = u
        for name, est in model.variants.items():
            chosen.setdefault(name, []).append(est.kind)
    return CVResult(dimension, pred, fold, variant, chosen)


def _needed(table: FeatureTable, dimension: str, train: np.ndarray, test: np.ndarray,
            cfg: CalibrationConfig) -> set[int]:
    has_nb = _has_neighbours(table, dimension, train, test, cfg)
    return set(_variant_of(table.has_reference[test], has_nb).tolist())


# ------------------------------------------------------------------------------------ the calibration file


def pack_vectors(vectors: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def unpack_vectors(text: str, dim: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32).reshape(-1, dim)


def fit_calibration(table: FeatureTable, dataset: Dataset, *, rubric: Rubric, built_rubric: bool,
                    config_hash: str, model_fingerprint: str, seed: int, group_by: str,
                    cfg: CalibrationConfig) -> Calibration:
    """Fit every dimension on all rows (model selection grouped like the requested CV) and package it."""
    everything = np.arange(len(table.ids))
    with _one_thread():
        dims = {d: fit_dimension(table, d, everything, cfg, seed, group_by == "question")
                for d in dataset.dimensions}
    graded = [i for i in everything if table.questions[i]]
    return Calibration(
        grader_version=__version__, feature_version=FEATURE_VERSION, config_hash=config_hash,
        model=model_fingerprint, rubric=rubric if built_rubric else None,
        dataset={"name": dataset.name, "kind": dataset.kind, "fingerprint": dataset.fingerprint,
                 "answers": len(dataset.answers), "questions": len(set(table.groups))},
        scale=dataset.scale, config=cfg, selection={"seed": seed, "group_by": group_by},
        dimensions=dims,
        neighbours=NeighbourSet(
            question_ids=[table.questions[i] for i in graded],
            grades={d: [round(float(table.grades[d][i]), 6) if not np.isnan(table.grades[d][i]) else -1.0
                        for i in graded] for d in dataset.dimensions},
            texts=[table.texts[i] for i in graded],
            dim=int(table.vectors.shape[1]), vectors=pack_vectors(table.vectors[graded])))


def save_calibration(cal: Calibration, path: str | Path) -> None:
    from grader.embed import atomic_write

    atomic_write(Path(path), (cal.model_dump_json(indent=1) + "\n").encode())


def load_calibration(path: str | Path, *, config_hash: str | None = None, model_fingerprint: str | None = None,
                     rubric_id: str | None = None) -> Calibration:
    """Read a calibration file; refuse (GraderError with the reason) one made by another grader feature
    version, another embedding model or another rubric/configuration."""
    from pydantic import ValidationError

    name = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GraderError("calibration file not found", path=name) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GraderError(f"not a calibration file (unreadable JSON: {exc})", path=name) from None
    if not isinstance(data, dict) or data.get("kind") != "answer-grader-calibration":
        raise GraderError("not a calibration file (made by `grader calibrate --model`)", path=name)
    if data.get("feature_version") != FEATURE_VERSION or data.get("format_version") != "1":
        raise GraderError(f"calibration made with feature version {data.get('feature_version')!r}, this grader "
                          f"computes version {FEATURE_VERSION!r}; refit it with `grader calibrate`", path=name)
    try:
        cal = Calibration.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise GraderError(f"invalid calibration file: {'.'.join(map(str, err['loc']))}: {err['msg']}",
                          path=name) from None
    if model_fingerprint is not None and cal.model != model_fingerprint:
        raise GraderError(f"calibration fitted with embedding model {_short(cal.model)}, this run uses "
                          f"{_short(model_fingerprint)}; refit it or use the same backend", path=name)
    if rubric_id is not None and cal.rubric is None and config_hash is not None and cal.config_hash != config_hash:
        raise GraderError(f"calibration fitted with another rubric or configuration (config {cal.config_hash}, "
                          f"this run {config_hash}); refit it with this rubric", path=name)
    return cal


def _short(fingerprint: str) -> str:
    parts = fingerprint.split("|")
    return f"{parts[0]} ({'|'.join(p[:12] for p in parts[1:])})" if len(parts) > 1 else fingerprint


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


def featurize_dataset(dataset: Dataset, rubric: Rubric | None, tools, cfg: CalibrationConfig,
                      ) -> tuple[FeatureTable, Rubric, bool]:
    """Run the pipeline over a dataset: a short-answer dataset gets the generic rubric built from its
    questions.csv (returned, with `True`); an answer folder uses `rubric` (the default rubric when None)."""
    from grader.pipeline import featurize_answers
    from grader.rubric import default_rubric_path, load_rubric, short_answer_rubric

    built = dataset.kind == "short_answer"
    if built:
        rubric, qmap = short_answer_rubric(dataset.questions, tools.nlp)
        known = {q.id for q in rubric.questions}
        qids = [qmap[a.question_id] if qmap[a.question_id] in known else None for a in dataset.answers]
        answers = [a.answer.model_copy(update={"front_matter": {"question": q} if q else {}})
                   for a, q in zip(dataset.answers, qids)]
    else:
        rubric = rubric or load_rubric(default_rubric_path())
        known = {q.id for q in rubric.questions}
        bad = sorted({a.question_id for a in dataset.answers if a.question_id and a.question_id not in known})
        if bad:
            raise GraderError(f"answers name question(s) {', '.join(bad)} that the rubric does not have",
                              path=dataset.path)
        qids = [a.question_id for a in dataset.answers]
        answers = [a.answer for a in dataset.answers]
    rows = featurize_answers(answers, qids, rubric, tools, cfg)
    return build_table(dataset, rows, cfg), rubric, built


def official_splits(table: FeatureTable, dimension: str, *, seed: int, cfg: CalibrationConfig,
                    ) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """Where the dataset has official splits: fit on `train`, predict every other split.
    Returns split -> (rows, 0..1 predictions, variant per row); empty without a `train` split."""
    splits = np.asarray([s or "" for s in table.splits])
    y = table.grades[dimension]
    train = np.flatnonzero((splits == "train") & ~np.isnan(y))
    others = sorted(set(splits.tolist()) - {"train", ""})
    if not len(train) or not others:
        return {}
    out = {}
    with _one_thread():
        tests = {s: np.flatnonzero((splits == s) & ~np.isnan(y)) for s in others}
        needed = set().union(*(_needed(table, dimension, train, rows, cfg) for rows in tests.values()))
        model = fit_dimension(table, dimension, train, cfg, seed, False, needed)
        for s, rows in tests.items():
            pred, used = predict_rows(model, table, train, rows, cfg)
            out[s] = (rows, pred, used)
    return out


@dataclass
class CalibrateRun:
    """What `grader calibrate` produces: out-of-fold prediction rows, the agreement summary, the model."""

    predictions: list[dict[str, object]]
    summary: dict[str, object]
    calibration: Calibration | None


def run_calibrate(dataset: Dataset, tools, *, folds: int, seed: int, group_by: str, rubric: Rubric | None = None,
                  cfg: CalibrationConfig | None = None, fit_model: bool = False, n_boot: int = 1000,
                  ) -> CalibrateRun:
    """Featurize the dataset with the pipeline, cross-validate every dimension, evaluate the official splits
    where there are any, and (with `fit_model`) fit the calibration on all answers."""
    from grader.agreement import classification_scores, compare, rater_summary, ratings_agreement
    from grader.pipeline import config_hash

    if group_by not in ("question", "none"):
        raise GraderError(f"--group-by must be question or none, not {group_by!r}")
    if folds < 2:
        raise GraderError("--cv needs at least 2 folds")
    cfg = cfg or CalibrationConfig()
    table, rubric, built = featurize_dataset(dataset, rubric, tools, cfg)
    scale = dataset.scale
    ids = [a.id for a in dataset.answers]
    qids = [a.question_id or table.questions[i] for i, a in enumerate(dataset.answers)]
    rows: list[dict[str, object]] = []
    dims: dict[str, object] = {}
    for dim in dataset.dimensions:
        cv = cross_validate(table, dim, folds=folds, seed=seed, group_by=group_by, cfg=cfg)
        human = to_scale(table.grades[dim], scale)
        pred = to_scale(cv.predicted, scale)
        raw = table.raw(dim)
        m = ~np.isnan(human)
        for i in np.flatnonzero(m):
            rows.append({"answer_id": ids[i], "question_id": qids[i], "fold": int(cv.fold[i]),
                         "raw_score": None if np.isnan(raw[i]) else round(float(raw[i]), 4),
                         "predicted": round(float(pred[i]), 4), "human": round(float(human[i]), 4),
                         "dimension": dim, "variant": cv.variant[i]})
        idx = np.flatnonzero(m)
        entry = rater_summary(human[idx], pred[idx], scale=scale, groups=[qids[i] for i in idx],
                              ids=[ids[i] for i in idx], n_boot=n_boot, seed=seed)
        variants = np.asarray(cv.variant)
        entry["by_variant"] = {v: compare(human[idx][variants[idx] == v], pred[idx][variants[idx] == v], scale=scale)
                               for v in VARIANTS if (variants[idx] == v).sum() >= 2}
        entry["models_chosen"] = {v: dict(sorted(_count(k).items())) for v, k in cv.chosen.items()}
        raters = sorted({r for a in dataset.answers for r in a.ratings.get(dim, {})})
        if len(raters) >= 2:
            matrix = np.array([[dataset.answers[i].ratings.get(dim, {}).get(r, np.nan) for r in raters]
                               + [pred[i]] for i in idx])
            entry["raters"] = ratings_agreement([ids[i] for i in idx], raters + ["grader"], matrix, scale=scale,
                                                machines=["grader"], n_boot=0, seed=seed)
        splits = official_splits(table, dim, seed=seed, cfg=cfg)
        if splits:
            entry["official_splits"] = {
                s: {**compare(human[r], to_scale(p, scale), scale=scale),
                    **classification_scores(human[r], to_scale(p, scale), scale=scale)}
                for s, (r, p, _) in splits.items()}
        dims[dim] = entry
    summary = {
        "dataset": dataset.name, "kind": dataset.kind, "fingerprint": dataset.fingerprint,
        "answers": len(dataset.answers), "questions": len(set(table.groups)),
        "questions_with_reference": len(rubric.questions), "scale": scale.model_dump(),
        "cv": {"folds": folds, "seed": seed, "group_by": group_by}, "grader_version": __version__,
        "feature_version": FEATURE_VERSION, "model": tools.embedder.fingerprint,
        "config": cfg.model_dump(mode="json"), "dimensions": dims}
    cal = None
    if fit_model:
        chash = config_hash(rubric, tools.embedder, rubric.default_time_plan)
        cal = fit_calibration(table, dataset, rubric=rubric, built_rubric=built, config_hash=chash,
                              model_fingerprint=tools.embedder.fingerprint, seed=seed, group_by=group_by, cfg=cfg)
    return CalibrateRun(rows, summary, cal)


def _count(items: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out

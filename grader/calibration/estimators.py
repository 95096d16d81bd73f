"""Candidate calibration models: fitted with scikit-learn, stored as plain numbers (JSON, no pickle),
predicted with numpy alone; one is chosen per variant by an inner cross-validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grader.models import CalibrationConfig, FittedEstimator
from grader.registry import Registry


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

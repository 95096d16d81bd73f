"""Candidate models: fitted with scikit-learn, predicted in numpy with the same numbers; model selection by CV error."""


import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression

from grader.calibration.estimators import ESTIMATORS, FitContext, predict, select_model
from grader.models import FittedEstimator

from helpers import CALIBRATION_CONFIG as CFG


def _ctx(grid=None):
    return FitContext(CFG, 0, grid, 0)


def test_boosting_in_numpy_matches_scikit_learn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    X[::17, 2] = np.nan
    y = np.clip(0.5 + 0.2 * X[:, 0] - 0.1 * np.nan_to_num(X[:, 2]) + rng.normal(0, 0.05, 300), 0, 1)
    params = ESTIMATORS.get("boosting").fit(X, y, _ctx())
    ref = HistGradientBoostingRegressor(max_iter=CFG.boosting_trees, max_depth=CFG.boosting_depth,
                                        learning_rate=CFG.boosting_rate, min_samples_leaf=CFG.boosting_min_leaf,
                                        l2_regularization=CFG.boosting_l2, early_stopping=False, random_state=0)
    Xt = rng.normal(size=(50, 4))
    assert np.allclose(ESTIMATORS.get("boosting").predict(params, Xt), ref.fit(X, y).predict(Xt), atol=1e-9)


def test_isotonic_ridge_logistic_in_numpy_match_their_models():
    from sklearn.linear_model import LogisticRegression, RidgeCV

    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + rng.normal(0, 0.5, 200) > 0).astype(float)
    Xt = rng.normal(size=(20, 3))
    iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(X[:, 0], y)
    p = ESTIMATORS.get("isotonic").fit(X, y, _ctx())
    assert np.allclose(ESTIMATORS.get("isotonic").predict(p, Xt), iso.predict(Xt[:, 0]))
    mean, std = X.mean(0), X.std(0)
    r = RidgeCV(alphas=CFG.ridge_alphas).fit((X - mean) / std, y)
    p = ESTIMATORS.get("ridge").fit(X, y, _ctx())
    assert np.allclose(ESTIMATORS.get("ridge").predict(p, Xt), r.predict((Xt - mean) / std))
    lr = LogisticRegression(C=CFG.logistic_c, max_iter=2000).fit((X - mean) / std, y.astype(int))
    p = ESTIMATORS.get("logistic").fit(X, y, _ctx(grid=1.0))
    assert np.allclose(ESTIMATORS.get("logistic").predict(p, Xt), lr.predict_proba((Xt - mean) / std)[:, 1])


def test_model_selection_picks_by_cross_validated_error():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 2))
    y = np.clip(0.5 + 0.15 * X[:, 1], 0, 1)  # linear in the second column only
    model = select_model(X, y, None, ["raw", "other"], "raw", _ctx())
    assert model.kind in ("ridge", "blend") and model.cv_mse[model.kind] == min(model.cv_mse.values())
    assert model.cv_mse["isotonic"] > model.cv_mse["ridge"]  # isotonic only sees the useless first column
    tiny = select_model(X[:5], y[:5], None, ["raw", "other"], "raw", _ctx())
    assert tiny.kind == "constant"


def test_predict_clips_to_the_unit_interval():
    m = FittedEstimator(kind="ridge", features=["a"], params={"coef": [10.0], "intercept": 0.0})
    assert predict(m, np.array([[1.0], [-1.0]])).tolist() == [1.0, 0.0]

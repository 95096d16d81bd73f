"""Agreement between raters (humans, this tool, LLM interviewers): one metrics module used everywhere.

Naming follows scikit-learn: `*_score` higher is better, `*_error` lower is better; data first
(`human, predicted`), options keyword-only. scikit-learn, scipy and the krippendorff package compute what they
provide; only RSMTool's PRMSE (not in those libraries) and the bookkeeping are written here.

Undefined values are a policy, not an accident: a metric that is undefined for its input (a constant rater
for a correlation or kappa, fewer than two items, no item with two human ratings for PRMSE) returns NaN and
warns with `UndefinedMetricWarning`; it never becomes a plausible 0.0.

Ordinal and binary scales: kappa, exact and adjacent agreement, ordinal alpha and the confusion matrix compare
grades on the scale's grid (`Scale.step` from `Scale.min`): a rater's grade is rounded to it (halves up), as a
rater would have to give it; correlations, errors and bias use the unrounded values. On a continuous scale the
grid-based metrics are not computed.

The human reference is one grade per item, or several humans' grades (an items x humans matrix, NaN = not
rated). Their mean is not a grade and is never rounded: metrics of values (correlations, errors, bias, SMD,
interval alpha) use it, kappa too (Cohen's kappa where the mean is on the grid, else the continuous kappa,
`continuous_kappa_score`), while exact and adjacent agreement and ordinal alpha are computed against each
human's own grades on the items that human rated and averaged over the humans, and the confusion matrix counts
every (human grade, rater grade) pair. So a rater who copies the higher of two humans' grades and one who
copies the lower get the same kappa and exact and adjacent agreement; rounding the humans' mean half up made the
first look perfect.

The metric functions return floats (`compare`: a dict of them); the summaries (`score_bands`, `confusion`,
`rater_summary`, `ratings_agreement`) return the models of `grader.models.agreement`, whose values are rounded to
4 decimals and None where undefined, as written to JSON.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from grader.models import (
    Band, Confusion, Disagreement, HumanAlpha, RaterAgreement, RaterSummary, RatingsAgreement, Scale,
)
from grader.registry import Registry


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for its input; NaN was returned."""


def _undefined(what: str) -> float:
    warnings.warn(what, UndefinedMetricWarning, stacklevel=3)
    return float("nan")


def _reference(human, predicted) -> tuple[np.ndarray, np.ndarray]:
    """The human reference as given (one grade per item, or items x humans) and the rater's values (1-D)."""
    h = np.asarray(human, dtype=np.float64)
    h = h if h.ndim == 2 else h.ravel()
    p = np.asarray(predicted, dtype=np.float64).ravel()
    if len(h) != len(p):
        raise ValueError(f"human and predicted have different lengths ({len(h)} and {len(p)})")
    return h, p


def _pair(human, predicted) -> tuple[np.ndarray, np.ndarray]:
    """One human value per item (several humans: their mean) and the rater's values."""
    h, p = _reference(human, predicted)
    if h.ndim == 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an item nobody rated: NaN
            h = np.nanmean(h, axis=1)
    return h, p


def _per_human(fn: Callable[[np.ndarray, np.ndarray], float], human, predicted) -> float:
    """`fn(grades, predicted)` against one human's grades; against items x humans, against each human on the
    items that human rated, averaged over the humans where it is defined."""
    h, p = _reference(human, predicted)
    if h.ndim == 1:
        return fn(h, p)
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for column in h.T:
            rated = ~np.isnan(column)
            if rated.any():
                values.append(fn(column[rated], p[rated]))
    values = [v for v in values if math.isfinite(v)]
    return float(np.mean(values)) if values else _undefined("undefined against every human")


def to_grid(values, scale: Scale) -> np.ndarray:
    """Grades as integer steps of the scale's grid (clipped; halves round up)."""
    v = np.clip(np.asarray(values, dtype=np.float64), scale.min, scale.max)
    return np.floor((v - scale.min) / scale.step + 0.5 + 1e-9).astype(int)


def _grid_or_nan(values: np.ndarray, scale: Scale) -> np.ndarray:
    """`to_grid` as floats, NaN (not rated) kept."""
    return np.where(np.isnan(values), np.nan, to_grid(np.nan_to_num(values, nan=scale.min), scale))


# ------------------------------------------------------------------------------------------------ metrics


def pearson_score(human, predicted) -> float:
    """Pearson's r (scipy.stats.pearsonr); NaN when either side is constant or n < 2."""
    from scipy.stats import pearsonr

    h, p = _pair(human, predicted)
    if len(h) < 2 or np.ptp(h) == 0 or np.ptp(p) == 0:
        return _undefined("Pearson's r is undefined for constant ratings or fewer than two items")
    return float(pearsonr(h, p).statistic)


def spearman_score(human, predicted) -> float:
    """Spearman's rho (scipy.stats.spearmanr); NaN when either side is constant or n < 2."""
    from scipy.stats import spearmanr

    h, p = _pair(human, predicted)
    if len(h) < 2 or np.ptp(h) == 0 or np.ptp(p) == 0:
        return _undefined("Spearman's rho is undefined for constant ratings or fewer than two items")
    return float(spearmanr(h, p).statistic)


def rmse_error(human, predicted) -> float:
    from sklearn.metrics import root_mean_squared_error

    h, p = _pair(human, predicted)
    return float(root_mean_squared_error(h, p)) if len(h) else _undefined("RMSE of no items")


def mae_error(human, predicted) -> float:
    from sklearn.metrics import mean_absolute_error

    h, p = _pair(human, predicted)
    return float(mean_absolute_error(h, p)) if len(h) else _undefined("MAE of no items")


def mean_bias(human, predicted) -> float:
    """mean(predicted - human): positive when the rater grades higher than the humans."""
    h, p = _pair(human, predicted)
    return float(np.mean(p - h)) if len(h) else _undefined("bias of no items")


def standardized_mean_difference(human, predicted) -> float:
    """(mean(predicted) - mean(human)) / sd(human), ddof=1: RSMTool's default (`unpooled`) SMD."""
    h, p = _pair(human, predicted)
    sd = float(np.std(h, ddof=1)) if len(h) > 1 else 0.0
    if sd == 0:
        return _undefined("SMD is undefined when the human grades are constant")
    return float((np.mean(p) - np.mean(h)) / sd)


def quadratic_weighted_kappa_score(human, predicted, *, scale: Scale) -> float:
    """Quadratic weighted kappa of the rater's grades (rounded to the scale's grid) against the human reference.

    One human: Cohen's kappa with quadratic weights (scikit-learn) on both sides' grid grades, with every grid
    point as a label. Several humans (items x humans, NaN = not rated): each human's grade on the grid, their
    mean per item unrounded; where that mean is off the grid, `continuous_kappa_score` (which equals Cohen's
    kappa on grid grades). NaN on a continuous scale or when it is undefined (both raters constant)."""
    from sklearn.metrics import cohen_kappa_score

    h, p = _reference(human, predicted)
    if not scale.discrete:
        return float("nan")
    if len(h) < 2:
        return _undefined("kappa needs at least two items")
    if h.ndim == 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(_grid_or_nan(h, scale), axis=1)
        if np.any(np.abs(mean - np.round(mean)) > 1e-9):
            return continuous_kappa_score(mean, to_grid(p, scale))
        hg = np.round(mean).astype(int)
    else:
        hg = to_grid(h, scale)
    labels = list(range(int(round((scale.max - scale.min) / scale.step)) + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's own undefined warning: ours follows
        k = cohen_kappa_score(hg, to_grid(p, scale), labels=labels, weights="quadratic")
    return float(k) if math.isfinite(k) else _undefined("kappa is undefined when both raters are constant")


def continuous_kappa_score(human, predicted) -> float:
    """Quadratic weighted kappa of values off a grid (RSMTool's `quadratic_weighted_kappa`, Haberman 2019):
    `2 cov(h, p) / (var(h) + var(p) + (mean(h) - mean(p))^2)`, population moments (ddof=0). On grid grades it
    equals Cohen's quadratic weighted kappa. Raters giving the reference + d and the reference - d (a constant
    d) get the same value. NaN when undefined (both sides constant and equal)."""
    h, p = _pair(human, predicted)
    if len(h) < 2:
        return _undefined("kappa needs at least two items")
    den = float(np.var(h) + np.var(p) + (np.mean(h) - np.mean(p)) ** 2)
    if den == 0:
        return _undefined("kappa is undefined when both raters are constant")
    return float(2 * np.mean((h - np.mean(h)) * (p - np.mean(p))) / den)


def qwk_by_question_score(human, predicted, groups, *, scale: Scale) -> float:
    """Quadratic weighted kappa per question, averaged over the questions where it is defined."""
    h, p = _reference(human, predicted)
    g = np.asarray(groups)
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for q in np.unique(g):
            m = g == q
            values.append(quadratic_weighted_kappa_score(h[m], p[m], scale=scale))
    values = [v for v in values if math.isfinite(v)]
    if not scale.discrete:
        return float("nan")
    return float(np.mean(values)) if values else _undefined("kappa is undefined for every question")


def exact_agreement_score(human, predicted, *, scale: Scale) -> float:
    """Share of items given the same grid point (several humans: against each, averaged over the humans)."""
    return _within(human, predicted, scale, 0)


def adjacent_agreement_score(human, predicted, *, scale: Scale) -> float:
    """Share of items within one grid step (several humans: against each, averaged over the humans)."""
    return _within(human, predicted, scale, 1)


def _within(human, predicted, scale: Scale, steps: int) -> float:
    _reference(human, predicted)
    if not scale.discrete:
        return float("nan")
    return _per_human(lambda h, p: float(np.mean(np.abs(to_grid(h, scale) - to_grid(p, scale)) <= steps))
                      if len(h) else _undefined("no items"), human, predicted)


def krippendorff_alpha_score(ratings, *, level: str = "interval", scale: Scale | None = None) -> float:
    """Krippendorff's alpha (the krippendorff package) of a raters x items matrix, NaN = missing.
    `level` "ordinal" rounds to the scale's grid and uses the grid as the value domain."""
    import krippendorff

    data = np.asarray(ratings, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] < 2:
        raise ValueError("ratings must be a raters x items matrix with at least two raters")
    domain = None
    if level == "ordinal":
        if scale is None or not scale.discrete:
            return float("nan")
        data = _grid_or_nan(data, scale)
        domain = list(range(int(round((scale.max - scale.min) / scale.step)) + 1))
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2).sum()
    values = data[~np.isnan(data)]
    if pairable < 1 or len(np.unique(values)) < 2:
        return _undefined("alpha is undefined with no pairable items or a single value")
    if level == "interval" and len(np.unique(values)) > _MAX_DOMAIN:
        return _interval_alpha(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=domain)
    return float(a) if math.isfinite(a) else _undefined("alpha is undefined for these ratings")


_MAX_DOMAIN = 64  # above this many distinct values the package's values x values coincidence arrays get too big


def _interval_alpha(data: np.ndarray) -> float:
    """Interval alpha in closed form, for many distinct (continuous) values: the package builds an
    items x values x values array, which does not fit in memory for thousands of continuous grades. Same
    definition (Krippendorff 2011, squared differences over pairable values); tests check it against the
    package where both run."""
    m = (~np.isnan(data)).sum(axis=0)
    units = data[:, m >= 2]
    m = m[m >= 2]
    x = units[~np.isnan(units)]
    n = len(x)
    within = np.nansum((units - np.nanmean(units, axis=0)) ** 2, axis=0)
    d_o = float((2 * m * within / (m - 1)).sum()) / n
    d_e = 2 * n * float(((x - x.mean()) ** 2).sum()) / (n * (n - 1))
    if d_e == 0:
        return _undefined("alpha is undefined with a single value")
    return 1.0 - d_o / d_e


def prmse_score(system, human_ratings) -> float:
    """Proportional reduction in mean squared error for predicting the *true* score (RSMTool,
    `rsmtool.utils.prmse.prmse_true`; Loukina et al. 2020): `human_ratings` is items x raters (NaN = not
    rated); the human error variance is estimated from the items with two or more ratings.

    Returns NaN (and warns) when no item has two human ratings or the true-score variance is not positive.
    """
    s = np.asarray(system, dtype=np.float64).ravel()
    hr = np.asarray(human_ratings, dtype=np.float64)
    if hr.ndim == 1:
        hr = hr[:, None]
    if hr.shape[0] != len(s):
        raise ValueError("system and human_ratings have different numbers of items")
    n_scores = (~np.isnan(hr)).sum(axis=1)
    keep = n_scores > 0
    s, hr, n_scores = s[keep], hr[keep], n_scores[keep]
    multiple = n_scores > 1
    if not multiple.any():
        return _undefined("PRMSE needs items rated by two or more humans")
    var_err = float(np.average(np.nanvar(hr[multiple], ddof=1, axis=1), weights=n_scores[multiple] - 1))
    mean_scores = np.nanmean(hr, axis=1)
    big_n, big_m = len(hr), n_scores.sum()
    ss = float((n_scores * (mean_scores - np.nanmean(hr)) ** 2).sum())
    var_true = (ss - (big_n - 1) * var_err) / (big_m - (n_scores ** 2).sum() / big_m)
    if not var_true > 0:
        return _undefined("PRMSE is undefined: the estimated true-score variance is not positive")
    mse = (float(((mean_scores - s) ** 2 * n_scores).sum()) - big_n * var_err) / big_m
    return float(1.0 - mse / var_true)


# --------------------------------------------------------------------------------------- metric registry


@dataclass(frozen=True)
class Metric:
    """A pairwise metric, as `compare` and `--fail-under` see it."""

    name: str
    compute: Callable[..., float]  # (human, predicted, scale, groups) -> float
    better: Literal["higher", "lower", "zero"]  # zero: a signed difference, best at 0, judged by its size
    discrete_only: bool = False
    description: str = ""

    def worse_than(self, value: float, limit: float) -> bool:
        """Whether `value` fails a gate at `limit`: under it (higher is better), over it (lower is better), or
        further from zero than it (bias, SMD: -0.9 fails `bias=0.1` as +0.9 does)."""
        if self.better == "higher":
            return value < limit
        if self.better == "lower":
            return value > limit
        return abs(value) > abs(limit)

    @property
    def gate_word(self) -> str:
        return {"higher": "under", "lower": "over", "zero": "further from 0 than"}[self.better]


METRICS: Registry[Metric] = Registry("agreement metric")


def _metric(name: str, fn: Callable[..., float], better: bool | str, discrete: bool = False,
            description: str = "") -> None:
    direction = better if isinstance(better, str) else ("higher" if better else "lower")
    METRICS.register(name)(Metric(name, fn, direction, discrete, description))


_metric("qwk", lambda h, p, s, g: quadratic_weighted_kappa_score(h, p, scale=s), True, True,
        "quadratic weighted kappa, pooled over all items")
_metric("qwk_by_question", lambda h, p, s, g: qwk_by_question_score(h, p, g, scale=s) if g is not None
        else float("nan"), True, True, "quadratic weighted kappa per question, averaged")
_metric("pearson", lambda h, p, s, g: pearson_score(h, p), True, description="Pearson's r")
_metric("spearman", lambda h, p, s, g: spearman_score(h, p), True, description="Spearman's rho")
_metric("rmse", lambda h, p, s, g: rmse_error(h, p), False, description="root mean squared error")
_metric("mae", lambda h, p, s, g: mae_error(h, p), False, description="mean absolute error")
_metric("exact", lambda h, p, s, g: exact_agreement_score(h, p, scale=s), True, True, "same grade")
_metric("adjacent", lambda h, p, s, g: adjacent_agreement_score(h, p, scale=s), True, True, "within one grade")
_metric("alpha_interval", lambda h, p, s, g: krippendorff_alpha_score(np.vstack(_pair(h, p)), level="interval"),
        True, description="Krippendorff's alpha, interval")
_metric("alpha_ordinal", lambda h, p, s, g: _per_human(
    lambda hh, pp: krippendorff_alpha_score(np.vstack([hh, pp]), level="ordinal", scale=s), h, p), True, True,
        "Krippendorff's alpha, ordinal")
_metric("bias", lambda h, p, s, g: mean_bias(h, p), "zero", description="mean(rater - human)")
_metric("smd", lambda h, p, s, g: standardized_mean_difference(h, p), "zero",
        description="standardised mean difference (RSMTool unpooled)")

#: Metrics with a bootstrap interval in every comparison.
BOOTSTRAPPED = ("qwk", "pearson", "rmse")


def compare(human, predicted, *, scale: Scale, groups: Sequence | None = None) -> dict[str, float]:
    """Every registered metric that applies to this scale (NaN where undefined, without warnings); `human` is
    one grade per item or items x humans (module docstring)."""
    h, p = _reference(human, predicted)
    g = None if groups is None else np.asarray(groups)
    out: dict[str, float] = {"n": float(len(h))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for name in METRICS:
            m = METRICS.get(name)
            if m.discrete_only and not scale.discrete:
                continue
            if name == "qwk_by_question" and g is None:
                continue
            out[name] = m.compute(h, p, scale, g)
    return out


def bootstrap_interval(metric: str, human, predicted, *, scale: Scale, n_boot: int = 1000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of a registered metric, resampling items with replacement."""
    h, p = _reference(human, predicted)
    fn = METRICS.get(metric).compute
    if len(h) < 2 or n_boot < 1:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for _ in range(n_boot):
            idx = rng.integers(0, len(h), len(h))
            values.append(fn(h[idx], p[idx], scale, None))
    v = np.asarray(values)
    v = v[np.isfinite(v)]
    if not len(v):
        return float("nan"), float("nan")
    lo, hi = np.quantile(v, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def score_bands(human, predicted, *, scale: Scale) -> list[Band]:
    """Agreement per third of the scale (by the human grade; several humans: their mean): low, middle, high
    answers."""
    ref, _ = _reference(human, predicted)
    h, p = _pair(human, predicted)
    width = (scale.max - scale.min) / 3
    band = np.where(h < scale.min + width - 1e-9, 0, np.where(h < scale.min + 2 * width - 1e-9, 1, 2))
    out = []
    for i, name in enumerate(("low", "middle", "high")):
        m = band == i
        if not m.any():
            out.append(Band(band=name, n=0))
            continue
        exact = exact_agreement_score(ref[m], p[m], scale=scale) if scale.discrete else None
        out.append(Band(band=name, n=int(m.sum()), mae=mae_error(h[m], p[m]), bias=mean_bias(h[m], p[m]),
                        exact=exact))
    return out


def confusion(human, predicted, *, scale: Scale) -> Confusion:
    """Counts of (human grade, rater grade) on the scale's grid (scikit-learn confusion_matrix); several humans:
    every (human grade, rater grade) pair."""
    from sklearn.metrics import confusion_matrix

    h, p = _reference(human, predicted)
    n = int(round((scale.max - scale.min) / scale.step)) + 1
    labels = [float(scale.min + i * scale.step) for i in range(n)]
    m = np.zeros((n, n), dtype=int)
    for column in (h.T if h.ndim == 2 else [h]):
        rated = ~np.isnan(column)
        m += confusion_matrix(to_grid(column[rated], scale), to_grid(p[rated], scale), labels=list(range(n)))
    return Confusion(labels=labels, rows_human_columns_rater=m.tolist())


def classification_scores(human, predicted, *, scale: Scale) -> dict[str, float]:
    """Accuracy and weighted F1 (scikit-learn) of grades rounded to the scale's grid."""
    from sklearn.metrics import accuracy_score, f1_score

    h, p = _pair(human, predicted)
    if not scale.discrete or not len(h):
        return {}
    hg, pg = to_grid(h, scale), to_grid(p, scale)
    return {"accuracy": float(accuracy_score(hg, pg)),
            "weighted_f1": float(f1_score(hg, pg, average="weighted", zero_division=0.0)),
            "majority_accuracy": float(np.max(np.bincount(hg)) / len(hg))}


def rater_summary(human, predicted, *, scale: Scale, groups: Sequence | None = None, ids: Sequence | None = None,
                  n_boot: int = 1000, seed: int = 0, worst: int = 10) -> RaterSummary:
    """One rater against the human reference: every metric, bootstrap intervals, score bands, the confusion
    matrix (ordinal/binary scales) and the largest disagreements (with their items when `ids` is given).
    `human`: one grade per item, or items x humans (module docstring)."""
    ref, _ = _reference(human, predicted)
    h, p = _pair(human, predicted)
    worst_rows = None
    if ids is not None and worst:
        gap = np.abs(p - h)
        order = sorted(range(len(h)), key=lambda i: (-gap[i], str(ids[i])))[:worst]
        worst_rows = [Disagreement(item=str(ids[i]), human=h[i], rater=p[i]) for i in order if gap[i] > 0]
    return RaterSummary(
        metrics=compare(ref, p, scale=scale, groups=groups),
        intervals={m: bootstrap_interval(m, ref, p, scale=scale, n_boot=n_boot, seed=seed)
                   for m in BOOTSTRAPPED if not (METRICS.get(m).discrete_only and not scale.discrete)},
        bands=score_bands(ref, p, scale=scale),
        confusion=confusion(ref, p, scale=scale) if scale.discrete else None,
        largest_disagreements=worst_rows)


def ratings_agreement(items: Sequence[str], raters: Sequence[str], grades: np.ndarray, *, scale: Scale,
                      machines: Sequence[str] = (), n_boot: int = 1000, seed: int = 0) -> RatingsAgreement:
    """Agreement for one dimension from an items x raters matrix (NaN = not rated).

    The human consensus is the mean of the human raters (every rater not in `machines`); a human is compared
    with the consensus of the *other* humans (so that it is not compared with itself), each rater on the items
    it rated and at least one of those humans rated, with the humans' grades as the reference (module
    docstring: their mean is never rounded). Machines get PRMSE when some items have two or more human
    ratings. Every pair of raters is compared on the items both rated.
    """
    g = np.asarray(grades, dtype=np.float64)
    humans = [i for i, r in enumerate(raters) if r not in machines]
    entries: dict[str, RaterAgreement] = {}
    pairs: dict[str, dict[str, float]] = {}
    alpha = None
    if len(humans) >= 2:
        alpha = HumanAlpha(interval=_quiet(krippendorff_alpha_score, g[:, humans].T, level="interval"),
                           ordinal=_quiet(krippendorff_alpha_score, g[:, humans].T, level="ordinal", scale=scale))
    for j, rater in enumerate(raters):
        others = [i for i in humans if i != j]
        if not others:
            continue
        m = (~np.isnan(g[:, others])).any(axis=1) & ~np.isnan(g[:, j])
        if m.sum() < 2:
            continue
        fields = dict(rater_summary(g[np.ix_(m, others)], g[m, j], scale=scale,
                                    ids=[items[i] for i in np.flatnonzero(m)], n_boot=n_boot, seed=seed))
        machine = rater in machines
        if machine and len(humans) >= 2:
            fields["metrics"] = {**fields["metrics"], "prmse": _quiet(prmse_score, g[m, j], g[np.ix_(m, humans)])}
        entries[rater] = RaterAgreement(**fields, kind="machine" if machine else "human",
                                        reference="human consensus" if machine else "consensus of the other humans")
    for a in range(len(raters)):
        for b in range(a + 1, len(raters)):
            m = ~np.isnan(g[:, a]) & ~np.isnan(g[:, b])
            if m.sum() >= 2:
                c = compare(g[m, a], g[m, b], scale=scale)
                pairs[f"{raters[a]} ~ {raters[b]}"] = {k: c[k] for k in ("n", "qwk", "pearson", "exact", "adjacent")
                                                       if k in c}
    return RatingsAgreement(items=len(items), raters=entries, pairs=pairs, human_alpha=alpha)


def _quiet(fn: Callable[..., float], *args, **kwargs) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return fn(*args, **kwargs)


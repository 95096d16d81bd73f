"""Agreement metrics against hand-computed values and the reference libraries."""

import math
import warnings

import krippendorff
import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import cohen_kappa_score

from grader.agreement.metrics import (
    METRICS, UndefinedMetricWarning, _interval_alpha, adjacent_agreement_score, bootstrap_interval, compare,
    confusion, continuous_kappa_score, exact_agreement_score, krippendorff_alpha_score, pearson_score, prmse_score,
    quadratic_weighted_kappa_score, qwk_by_question_score, ratings_agreement, rmse_error, score_bands,
    spearman_score, standardized_mean_difference,
)
from grader.models import RatingsAgreement, Scale

BINARY = Scale(min=0, max=1, type="binary")
ONE_TO_THREE = Scale(min=1, max=3, type="ordinal")
ONE_TO_FOUR = Scale(min=1, max=4, type="ordinal")
CONTINUOUS = Scale(min=0, max=1, type="continuous")


def test_qwk_binary_by_hand():
    # observed [[1,1],[0,2]], expected from marginals [[0.5,1.5],[0.5,1.5]]; weights 1 off the diagonal:
    # 1 - 1 / (1.5 + 0.5) = 0.5
    assert quadratic_weighted_kappa_score([0, 0, 1, 1], [0, 1, 1, 1], scale=BINARY) == pytest.approx(0.5)


def test_qwk_three_grades_by_hand():
    # one disagreement (2 vs 3, weight (1/2)^2 = 1/4); sum of weighted expected counts = 2/3 + 1/4 + 1/3 = 5/4
    assert quadratic_weighted_kappa_score([1, 2, 3], [1, 3, 3], scale=ONE_TO_THREE) == pytest.approx(1 - 0.25 / 1.25)


def test_qwk_matches_scikit_learn_and_rounds_predictions_to_the_grid():
    rng = np.random.default_rng(0)
    h = rng.integers(1, 5, 200)
    p = np.clip(h + rng.normal(0, 0.9, 200), 1, 4)
    rounded = np.floor(p + 0.5).astype(int)
    want = cohen_kappa_score(h, rounded, weights="quadratic", labels=[1, 2, 3, 4])
    assert quadratic_weighted_kappa_score(h, p, scale=ONE_TO_FOUR) == pytest.approx(want)
    assert quadratic_weighted_kappa_score([1, 2, 3], [1.4, 2.5, 2.6], scale=ONE_TO_FOUR) == pytest.approx(
        quadratic_weighted_kappa_score([1, 2, 3], [1, 3, 3], scale=ONE_TO_FOUR))  # halves round up


def test_qwk_undefined_is_nan_with_a_warning_and_skipped_on_continuous_scales():
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(quadratic_weighted_kappa_score([1, 1, 1], [1, 1, 1], scale=ONE_TO_FOUR))
    assert math.isnan(quadratic_weighted_kappa_score([0.1, 0.5], [0.2, 0.4], scale=CONTINUOUS))


def test_qwk_by_question_averages_the_questions_where_it_is_defined():
    h = [0, 0, 1, 1, 1, 1, 1, 1]
    p = [0, 1, 1, 1, 1, 1, 1, 1]
    groups = ["a"] * 4 + ["b"] * 4  # b: both raters constant -> undefined, left out
    assert qwk_by_question_score(h, p, groups, scale=BINARY) == pytest.approx(0.5)


def test_correlations_and_errors_match_scipy_and_definitions():
    rng = np.random.default_rng(1)
    h, p = rng.normal(size=50), rng.normal(size=50)
    assert pearson_score(h, p) == pytest.approx(pearsonr(h, p).statistic)
    assert spearman_score(h, p) == pytest.approx(spearmanr(h, p).statistic)
    assert rmse_error([1, 2, 3], [1, 2, 5]) == pytest.approx(math.sqrt(4 / 3))
    # RSMTool's unpooled SMD: (mean(pred) - mean(human)) / sd(human, ddof=1)
    assert standardized_mean_difference([1, 2, 3], [2, 3, 4]) == pytest.approx(1.0)
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(pearson_score([1, 1, 1], [1, 2, 3]))


def test_exact_and_adjacent_agreement():
    assert exact_agreement_score([1, 2, 3, 4], [1, 2, 4, 2], scale=ONE_TO_FOUR) == 0.5
    assert adjacent_agreement_score([1, 2, 3, 4], [1, 2, 4, 2], scale=ONE_TO_FOUR) == 0.75


def test_prmse_by_hand():
    # two raters per item; rater error variance 0.125; true-score variance (9.375 - 3 * 0.125) / 6 = 1.5;
    # system [2,2,3,4]: MSE vs true score (2.5 - 4 * 0.125) / 8 = 0.25 -> PRMSE 1 - 0.25 / 1.5
    humans = np.array([[1, 1], [2, 3], [3, 3], [4, 4]], dtype=float)
    assert prmse_score([2, 2, 3, 4], humans) == pytest.approx(1 - 0.25 / 1.5)


def test_prmse_with_missing_ratings_follows_rsmtool():
    humans = np.array([[1, 2], [2, np.nan], [3, 3], [4, 3], [2, 2]], dtype=float)
    system = np.array([1.5, 2.2, 2.9, 3.4, 2.0])
    n = np.array([2, 1, 2, 2, 2])
    var_err = np.average(np.nanvar(humans[n > 1], ddof=1, axis=1), weights=n[n > 1] - 1)
    mean = np.nanmean(humans, axis=1)
    var_true = ((n * (mean - np.nanmean(humans)) ** 2).sum() - 4 * var_err) / (n.sum() - (n ** 2).sum() / n.sum())
    mse = (((mean - system) ** 2 * n).sum() - 5 * var_err) / n.sum()
    assert prmse_score(system, humans) == pytest.approx(1 - mse / var_true)
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(prmse_score([1, 2], np.array([[1.0], [2.0]])))


def test_krippendorff_alpha_uses_the_package_and_its_closed_form_agrees():
    rng = np.random.default_rng(2)
    data = rng.integers(0, 5, (3, 40)).astype(float)
    data[0, 3] = data[1, 7] = data[2, 7] = np.nan
    want = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
    assert krippendorff_alpha_score(data, level="interval") == pytest.approx(want)
    assert _interval_alpha(data) == pytest.approx(want)
    ordinal = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal", value_domain=[0, 1, 2, 3, 4])
    assert krippendorff_alpha_score(data + 1, level="ordinal", scale=Scale(min=1, max=5, type="ordinal")) == \
        pytest.approx(ordinal)
    many = rng.random((2, 500))  # continuous: 1000 distinct values, closed form
    assert math.isfinite(krippendorff_alpha_score(many, level="interval"))


def test_compare_reports_every_registered_metric_on_discrete_scales():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # compare never warns: undefined values are NaN in its output
        out = compare([1, 2, 3, 4, 2], [1, 2, 4, 4, 1], scale=ONE_TO_FOUR, groups=list("aabbb"))
    assert set(out) == {"n", *METRICS.names()}
    assert not {m for m in METRICS.names() if METRICS.get(m).discrete_only} & set(
        compare([0.1, 0.5, 0.9], [0.2, 0.4, 0.9], scale=CONTINUOUS))


def test_metric_direction_follows_the_naming_rule():
    for name in METRICS:
        m = METRICS.get(name)
        expected = "zero" if name in ("bias", "smd") else "lower" if name in ("rmse", "mae") else "higher"
        assert m.better == expected, name


def test_bootstrap_interval_is_deterministic_and_brackets_the_estimate():
    rng = np.random.default_rng(3)
    h = rng.normal(size=100)
    p = h + rng.normal(scale=0.5, size=100)
    lo, hi = bootstrap_interval("pearson", h, p, scale=CONTINUOUS, n_boot=300, seed=0)
    assert lo < pearson_score(h, p) < hi
    assert (lo, hi) == bootstrap_interval("pearson", h, p, scale=CONTINUOUS, n_boot=300, seed=0)


def test_bands_and_confusion():
    bands = score_bands([1, 1, 2, 3, 4, 4], [1, 2, 2, 3, 3, 4], scale=ONE_TO_FOUR)  # thirds: [1,2) [2,3) [3,4]
    assert [b.band for b in bands] == ["low", "middle", "high"] and [b.n for b in bands] == [2, 1, 3]
    assert bands[0].bias == pytest.approx(0.5)
    conf = confusion([1, 2, 4], [1, 3, 4], scale=ONE_TO_FOUR)
    assert conf.labels == [1.0, 2.0, 3.0, 4.0]
    assert conf.rows_human_columns_rater[1] == [0, 0, 1, 0]
    empty = score_bands([0.1, 0.2], [0.1, 0.3], scale=CONTINUOUS)  # no middle or high answers; no grid
    assert [b.model_dump(mode="json") for b in empty] == [
        {"band": "low", "n": 2, "mae": 0.05, "bias": 0.05}, {"band": "middle", "n": 0}, {"band": "high", "n": 0}]


def test_ratings_agreement_humans_against_the_others_and_machines_get_prmse():
    grades = np.array([[1, 1, 1.2], [2, 3, 2.4], [3, 3, 3.1], [4, 4, 3.8], [2, 2, 2.2]], dtype=float)
    out = ratings_agreement(list("abcde"), ["ann", "bob", "tool"], grades, scale=ONE_TO_FOUR, machines=["tool"],
                            n_boot=50)
    assert out.raters["ann"].kind == "human" and out.raters["tool"].kind == "machine"
    assert "prmse" in out.raters["tool"].metrics and "prmse" not in out.raters["ann"].metrics
    assert out.raters["ann"].metrics["qwk"] == pytest.approx(  # as written: 4 decimals
        quadratic_weighted_kappa_score(grades[:, 1], grades[:, 0], scale=ONE_TO_FOUR), abs=5e-5)
    assert set(out.pairs) == {"ann ~ bob", "ann ~ tool", "bob ~ tool"}
    assert out.raters["tool"].largest_disagreements[0].item == "d"
    assert RatingsAgreement.model_validate_json(out.model_dump_json()) == out


# ------------------------------------------------- conventions against several humans (issue 18, part 3)

H1, H2 = [1, 2, 3, 2], [2, 3, 4, 3]  # two humans; their mean is 1.5, 2.5, 3.5, 2.5: off the grid


def _issue_example():
    grades = np.array([H1, H2, H1, H2], dtype=float).T  # h1, h2, copy_low (= h1), copy_high (= h2)
    return ratings_agreement(list("abcd"), ["h1", "h2", "copy_low", "copy_high"], grades, scale=ONE_TO_FOUR,
                             machines=["copy_low", "copy_high"], n_boot=50)


def test_a_rater_above_two_humans_and_one_below_get_the_same_figures():
    out = _issue_example()
    low, high = out.raters["copy_low"].metrics, out.raters["copy_high"].metrics
    for metric in ("qwk", "exact", "adjacent", "alpha_ordinal", "pearson", "rmse", "mae", "alpha_interval"):
        assert low[metric] == high[metric], metric
    assert low["bias"] == -high["bias"] == -0.5
    # continuous kappa of (mean, copy): cov = var = 0.5, squared mean difference 0.25 -> 1 / 1.25
    assert low["qwk"] == pytest.approx(0.8)
    assert (low["exact"], low["adjacent"]) == (0.5, 1.0)  # matches one of the two humans on every item
    # rounding the mean half up (the old convention) made copy_high a perfect rater and copy_low a poor one
    rounded = np.floor(np.mean([H1, H2], axis=0) + 0.5)
    assert quadratic_weighted_kappa_score(rounded, H2, scale=ONE_TO_FOUR) == 1.0
    assert quadratic_weighted_kappa_score(rounded, H1, scale=ONE_TO_FOUR) == pytest.approx(0.5)


def test_one_human_is_compared_as_before():
    """On-grid comparisons do not change: one human's grades as a vector or as a one-column matrix."""
    rng = np.random.default_rng(4)
    h = rng.integers(1, 5, 60).astype(float)
    p = np.clip(h + rng.normal(0, 0.8, 60), 1, 4)
    assert compare(h[:, None], p, scale=ONE_TO_FOUR) == compare(h, p, scale=ONE_TO_FOUR)
    assert confusion(h[:, None], p, scale=ONE_TO_FOUR) == confusion(h, p, scale=ONE_TO_FOUR)
    both_agree = np.column_stack([h, h])  # a mean on the grid: Cohen's kappa (scikit-learn), as before
    assert quadratic_weighted_kappa_score(both_agree, p, scale=ONE_TO_FOUR) == \
        quadratic_weighted_kappa_score(h, p, scale=ONE_TO_FOUR)


def test_continuous_kappa_is_rsmtools_formula_and_equals_cohens_on_grades():
    rng = np.random.default_rng(5)
    h, p = rng.integers(0, 4, 80), rng.integers(0, 4, 80)
    assert continuous_kappa_score(h, p) == pytest.approx(cohen_kappa_score(h, p, weights="quadratic"))
    x, y = rng.normal(2, 1, 50), rng.normal(2.3, 0.7, 50)
    cov = np.cov(x, y, ddof=0)[0, 1]
    assert continuous_kappa_score(x, y) == pytest.approx(2 * cov / (x.var() + y.var() + (x.mean() - y.mean()) ** 2))
    assert continuous_kappa_score(x, x + 0.4) == pytest.approx(continuous_kappa_score(x, x - 0.4))
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(continuous_kappa_score([2, 2], [2, 2]))


def test_grades_against_several_humans_use_each_humans_own_grade_where_rated():
    humans = np.array([[1, 2], [2, np.nan], [3, 3], [4, 3]], dtype=float)  # the second human skipped item 2
    rater = [1, 3, 3, 4]
    # first human: 4 items, 3 exact; second: 3 items (1, 3, 4), 1 exact -> (3/4 + 1/3) / 2
    assert exact_agreement_score(humans, rater, scale=ONE_TO_FOUR) == pytest.approx((3 / 4 + 1 / 3) / 2)
    assert adjacent_agreement_score(humans, rater, scale=ONE_TO_FOUR) == 1.0
    conf = confusion(humans, rater, scale=ONE_TO_FOUR).rows_human_columns_rater  # 7 (human, rater) pairs
    assert conf == [[1, 0, 0, 0], [1, 0, 1, 0], [0, 0, 2, 1], [0, 0, 0, 1]]
    mean = np.nanmean(humans, axis=1)  # 1.5, 2, 3, 3.5: off the grid -> continuous kappa of the mean
    assert quadratic_weighted_kappa_score(humans, rater, scale=ONE_TO_FOUR) == pytest.approx(
        continuous_kappa_score(mean - 1, np.array(rater) - 1))
    assert pearson_score(humans, rater) == pytest.approx(pearsonr(mean, rater).statistic)

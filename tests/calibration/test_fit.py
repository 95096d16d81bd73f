"""Fitting and cross-validation: out-of-fold predictions, grouped folds keep questions whole."""


import numpy as np

from grader.agreement.metrics import pearson_score
from grader.calibration.fit import cross_validate

from helpers import CALIBRATION_CONFIG as CFG


def test_cross_validation_predicts_out_of_fold_and_beats_chance(featurized):
    table = featurized[0]
    res = cross_validate(table, "score", folds=5, seed=0, group_by="none", cfg=CFG)
    assert (res.fold >= 0).all() and not np.isnan(res.predicted).any()
    assert pearson_score(table.grades["score"], res.predicted) > 0.6
    again = cross_validate(table, "score", folds=5, seed=0, group_by="none", cfg=CFG)
    assert np.array_equal(res.predicted, again.predicted)  # deterministic with the seed
    # the question without a reference is predicted from its graded neighbours only
    assert {v for v, g in zip(res.variant, table.groups) if g == "4"} == {"neighbours"}


def test_grouped_cross_validation_keeps_questions_whole_and_uses_no_neighbours(featurized):
    table = featurized[0]
    res = cross_validate(table, "score", folds=4, seed=0, group_by="question", cfg=CFG)
    groups = np.asarray(table.groups)
    for g in set(table.groups):
        assert len(set(res.fold[groups == g])) == 1
    assert set(res.variant) <= {"reference", "prior"}

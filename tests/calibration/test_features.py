"""Calibration features: from the grading pipeline's own assessment, no label leaks through neighbours."""


import numpy as np

from grader.agreement.metrics import pearson_score
from grader.calibration.fit import cross_validate
from grader.calibration.run import featurize_dataset

from helpers import CALIBRATION_CONFIG as CFG


def test_features_come_from_the_pipeline_and_absence_is_explicit(featurized, short_dataset):
    table, rubric, built = featurized
    assert built and table.names[0] == "raw_overall" and "sim_max" in table.names
    no_ref = [i for i, a in enumerate(short_dataset.answers) if a.question_id == "4"]
    assert no_ref and not table.has_reference[no_ref].any() and table.has_reference.sum() == len(table.ids) - len(no_ref)
    good = short_dataset.answers[0]
    assert good.grades["score"] == 1.0
    assert table.reference[0, table.names.index("lex_recall")] > 0.5


def test_neighbour_features_do_not_leak_labels(short_dataset, toolkit):
    """Grades shuffled at random: nothing real to learn, so out-of-fold agreement must stay near zero (a
    leave-one-out neighbour mean would let a model read each training answer's own grade)."""
    rng = np.random.default_rng(0)
    table = featurize_dataset(short_dataset, None, toolkit, CFG)[0]
    rs = []
    for seed in range(3):
        table.grades["score"] = rng.permutation(table.grades["score"])
        res = cross_validate(table, "score", folds=5, seed=seed, group_by="none", cfg=CFG)
        rs.append(np.nan_to_num(pearson_score(table.grades["score"], res.predicted)))
    assert np.mean(rs) < 0.3

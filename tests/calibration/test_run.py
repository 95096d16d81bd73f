"""The `calibrate` run: official splits, the summary's parts, datasets that name unknown questions."""

import shutil

import numpy as np
import pytest

from grader.api import calibrate
from grader.calibration.run import featurize_dataset, official_splits
from grader.inputs.datasets import read_dataset
from grader.errors import GraderError
from grader.models import CalibrationSummary

from helpers import CALIBRATION_CONFIG as CFG, FOLDER


def test_official_splits_train_on_train(featurized):
    table = featurized[0]
    out = official_splits(table, "score", seed=0, cfg=CFG)
    assert set(out) == {"test_unseen_answers", "test_unseen_questions"}
    rows, pred, used = out["test_unseen_questions"]
    assert set(np.asarray(table.groups)[rows]) == {"Q 3"} and set(used) == {"reference"}


def test_run_calibrate_summary_has_human_human_and_official_splits(short_dataset, toolkit):
    run = calibrate(short_dataset, tools=toolkit, folds=5, seed=0, group_by="none", bootstrap=20)
    d = run.summary.dimensions["score"]
    assert d.raters is not None and d.official_splits and d.by_variant and d.bands
    assert "grader" in d.raters.raters and "prmse" in d.raters.raters["grader"].metrics
    assert "rater_1 ~ rater_2" in d.raters.pairs
    assert len(run.predictions) == len(short_dataset.answers)
    assert list(run.predictions[0].model_dump()) == ["answer_id", "question_id", "fold", "raw_score", "predicted",
                                                     "human", "dimension", "variant"]
    assert CalibrationSummary.model_validate_json(run.summary.model_dump_json()) == run.summary


def test_answer_folder_needs_questions_the_rubric_knows(toolkit, tiny_rubric, tmp_path):
    shutil.copytree(FOLDER, tmp_path / "f")
    p = tmp_path / "f" / "answers" / "cats_1.md"
    p.write_text(p.read_text().replace("question: cats", "question: dogs"))
    with pytest.raises(GraderError, match="dogs"):
        featurize_dataset(read_dataset(tmp_path / "f"), tiny_rubric, toolkit, CFG)

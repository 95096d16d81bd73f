"""Applying a calibration: grades on the human scale, snapped to its grid, never an answer as its own neighbour."""

import math

import numpy as np

from grader.calibration.apply import Calibrator, snap
from grader.inputs.datasets import read_dataset
from grader.models import Scale

from helpers import CALIBRATION_CONFIG as CFG, FOLDER


def test_snap_clips_and_rounds_to_the_grid():
    s = Scale(min=1, max=4, type="ordinal")
    assert [snap(v, s) for v in (0.2, 2.5, 2.49, 9)] == [1.0, 3.0, 2.0, 4.0]
    assert snap(0.37, Scale(min=0, max=1, type="continuous")) == 0.37


def test_calibrator_grades_on_the_human_scale(folder_calibration):
    cal = Calibrator(folder_calibration)
    est = folder_calibration.dimensions["overall"].variants["reference"]
    feats = {f: 0.5 for f in est.features}
    applied = cal.apply("cats", "## Model\nUse a convolutional network.", feats, np.ones(512) / math.sqrt(512))
    assert set(applied) == {"building", "framing", "overall"}
    for a in applied.values():
        assert 1 <= a.value <= 4 and a.grade in (1.0, 2.0, 3.0, 4.0) and abs(a.grade - a.value) <= 0.5
        assert a.variant == "reference+neighbours"
    unseen = cal.apply("nobody", "x", feats, np.ones(512) / math.sqrt(512))
    assert {a.variant for a in unseen.values()} == {"reference"}


def test_a_training_answer_is_not_its_own_neighbour(folder_calibration, toolkit, tiny_rubric):
    """Grading an answer the calibration was fitted on must not meet itself at similarity 1 (the model learnt its
    neighbour features out of fold): the result equals that of a calibration without the answer's grades."""
    from grader.pipeline.grade import featurize_answers

    ds = read_dataset(FOLDER)
    rows = featurize_answers([a.answer for a in ds.answers], [a.question_id for a in ds.answers], tiny_rubric, toolkit,
                             CFG)
    cal, moved = Calibrator(folder_calibration), 0
    for item, (qid, feats, vec) in zip(ds.answers, rows):
        question = tiny_rubric.question(qid)
        sa = item  # the text the calibration stored
        row = folder_calibration.neighbours.texts.index(sa.answer.text)
        grades = {d: [(-1.0 if i == row else g) for i, g in enumerate(gs)]
                  for d, gs in folder_calibration.neighbours.grades.items()}
        without = folder_calibration.model_copy(
            update={"neighbours": folder_calibration.neighbours.model_copy(update={"grades": grades})})
        mine = cal.apply(question.id, sa.answer.text, feats, vec)
        assert mine == Calibrator(without).apply(question.id, sa.answer.text, feats, vec), item.answer_id
        moved += cal.apply(question.id, sa.answer.text + " And more.", feats, vec) != mine
    assert moved  # another text does meet the graded rows, and that changes grades: the check has power

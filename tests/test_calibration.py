"""Calibration: dataset readers, the generic rubric, features, model selection, the calibration file.

Unit tests use the model-free hashing embedder and small datasets we wrote (tests/data/short_answer,
tests/data/answer_folder)."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression

from grader.agreement.metrics import pearson_score
from grader.calibration.apply import Calibrator, snap
from grader.calibration.estimators import ESTIMATORS, FitContext, predict, select_model
from grader.calibration.features import FEATURE_VERSION
from grader.calibration.fit import cross_validate
from grader.api import calibrate
from grader.calibration.run import featurize_dataset, official_splits
from grader.calibration.store import fit_calibration, load_calibration, save_calibration
from grader.inputs.datasets import read_dataset, read_ratings
from grader.errors import GraderError
from grader.models import CalibrationConfig, CalibrationSummary, FittedEstimator, Scale
from grader.pipeline.grade import config_hash
from grader.inputs.rubric import load_rubric, rubric_question_ids, short_answer_rubric

DATA = Path(__file__).parent / "data"
SHORT = DATA / "short_answer"
FOLDER = DATA / "answer_folder"
CFG = CalibrationConfig()


@pytest.fixture(scope="module")
def short_dataset():
    return read_dataset(SHORT)


@pytest.fixture
def featurized(short_dataset, toolkit):
    return featurize_dataset(short_dataset, None, toolkit, CFG)


# ---------------------------------------------------------------------------------------------- readers


def test_short_answer_reader_keeps_ids_as_strings_and_reads_raters(short_dataset):
    ds = short_dataset
    assert ds.kind == "short_answer" and ds.dimensions == ["score"] and ds.scale.type == "continuous"
    assert [q.id for q in ds.questions] == ["Q.1", "q2", "Q 3", "4"]
    first = ds.answers[0]
    assert first.id == "Q.1.1" and first.split == "train" and set(first.ratings["score"]) == {
        "rater_1", "rater_2", "rater_3"}
    assert len(ds.fingerprint) == 64


def test_reader_errors_name_the_file_and_the_line(tmp_path):
    shutil.copytree(SHORT, tmp_path / "d")
    path = tmp_path / "d" / "answers.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",1.0,", ",high,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(GraderError, match=r"answers.csv: line 4: score 'high' is not a number"):
        read_dataset(tmp_path / "d")
    path.write_text("answer_id,answer\n1,x\n")
    with pytest.raises(GraderError, match="missing column"):
        read_dataset(tmp_path / "d")
    with pytest.raises(GraderError, match="not a dataset"):
        read_dataset(tmp_path)


def test_optional_reference_answers_add_reference_lines(tmp_path):
    """`reference_answers.csv` (question_id, reference_answer; other columns ignored) adds every other accepted
    answer to its question's reference, each a line (so a key point of the generic rubric), duplicates once."""
    shutil.copytree(SHORT, tmp_path / "d")
    (tmp_path / "d" / "reference_answers.csv").write_text(
        "question_id,reference_id,category,reference_answer\n"
        "q2,r1,BEST,The ice melts into water because it absorbs heat from the sun\n"
        "q2,r2,MINIMAL,  the sun  melts the ice\n")
    ds = read_dataset(tmp_path / "d")
    q2 = next(q for q in ds.questions if q.id == "q2")
    assert q2.reference.splitlines() == ["The ice melts into water because it absorbs heat from the sun",
                                         "the sun melts the ice"]
    assert ds.fingerprint != read_dataset(SHORT).fingerprint
    (tmp_path / "d" / "reference_answers.csv").write_text("question_id,reference_answer\nnope,x\n")
    with pytest.raises(GraderError, match=r"reference_answers.csv: line 2: question_id 'nope' is not in"):
        read_dataset(tmp_path / "d")


def test_scale_is_inferred_without_dataset_yaml(tmp_path):
    shutil.copytree(SHORT, tmp_path / "d")
    (tmp_path / "d" / "dataset.yaml").unlink()
    assert read_dataset(tmp_path / "d").scale.type == "continuous"  # 0, 1/3, 2/3, 1
    ds = read_dataset(FOLDER)
    assert ds.scale == Scale(min=1, max=4, type="ordinal") and ds.dimensions == ["building", "framing", "overall"]
    assert ds.answers[2].grades["overall"] == 2.5  # mean of two raters


def test_read_ratings_long_form():
    data, scale = read_ratings(FOLDER / "grades.csv")
    items, raters, grades = data["overall"]
    assert raters == ["ann", "bob"] and len(items) == 12 and scale.type == "ordinal"


# ------------------------------------------------------------------------------------------ the rubric


def test_generic_rubric_one_stage_one_dimension_key_points_from_the_reference(short_dataset, nlp):
    rubric, qmap = short_answer_rubric(short_dataset.questions, nlp)
    assert [s.id for s in rubric.stages] == ["answer"] and [d.id for d in rubric.dimensions] == ["score"]
    assert qmap == {"Q.1": "q_1", "q2": "q2", "Q 3": "q_3", "4": "4"}
    assert [q.id for q in rubric.questions] == ["q_1", "q2", "q_3"]  # "4" has no reference answer
    points = [kp.text for _, kp in rubric.question("q_1").all_key_points()]
    assert points == ["The switch closes the circuit", "current flows through the bulb"]  # split at ';'
    assert len(rubric.question("q_3").all_key_points()) == 2  # one per line


def test_rubric_question_ids_are_unique_identifiers():
    assert rubric_question_ids(["A.1", "a_1", "A-1", ""]) == {"A.1": "a_1", "a_1": "a_1_2", "A-1": "a_1_3", "": "q"}


# ------------------------------------------------------------------------------------------- features


def test_features_come_from_the_pipeline_and_absence_is_explicit(featurized, short_dataset):
    table, rubric, built = featurized
    assert built and table.names[0] == "raw_overall" and "sim_max" in table.names
    no_ref = [i for i, a in enumerate(short_dataset.answers) if a.question_id == "4"]
    assert no_ref and not table.has_reference[no_ref].any() and table.has_reference.sum() == len(table.ids) - len(no_ref)
    good = short_dataset.answers[0]
    assert good.grades["score"] == 1.0
    assert table.reference[0, table.names.index("lex_recall")] > 0.5


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


def test_official_splits_train_on_train(featurized):
    table = featurized[0]
    out = official_splits(table, "score", seed=0, cfg=CFG)
    assert set(out) == {"test_unseen_answers", "test_unseen_questions"}
    rows, pred, used = out["test_unseen_questions"]
    assert set(np.asarray(table.groups)[rows]) == {"Q 3"} and set(used) == {"reference"}


# ------------------------------------------------------------------------------------------ estimators


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


def test_snap_clips_and_rounds_to_the_grid():
    s = Scale(min=1, max=4, type="ordinal")
    assert [snap(v, s) for v in (0.2, 2.5, 2.49, 9)] == [1.0, 3.0, 2.0, 4.0]
    assert snap(0.37, Scale(min=0, max=1, type="continuous")) == 0.37


# ------------------------------------------------------------------------------ the calibration file


@pytest.fixture
def folder_calibration(toolkit, tiny_rubric):
    ds = read_dataset(FOLDER)
    table, rubric, built = featurize_dataset(ds, tiny_rubric, toolkit, CFG)
    return fit_calibration(table, ds, rubric=rubric, built_rubric=built,
                           config_hash=config_hash(rubric, toolkit.embedder, rubric.default_time_plan),
                           model_fingerprint=toolkit.embedder.fingerprint, seed=0, group_by="none", cfg=CFG)


def test_save_load_cycle_is_exact_and_json(tmp_path, folder_calibration, toolkit):
    path = tmp_path / "cal.json"
    save_calibration(folder_calibration, path)
    data = json.loads(path.read_text())
    assert data["kind"] == "answer-grader-calibration" and data["feature_version"] == FEATURE_VERSION
    assert set(data["dimensions"]) == {"building", "framing", "overall"}
    assert {"features", "params", "kind"} <= set(data["dimensions"]["overall"]["variants"]["reference+neighbours"])
    loaded = load_calibration(path, model_fingerprint=toolkit.embedder.fingerprint)
    assert loaded == folder_calibration
    save_calibration(loaded, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_load_refuses_other_models_versions_and_garbage(tmp_path, folder_calibration):
    path = tmp_path / "cal.json"
    save_calibration(folder_calibration, path)
    with pytest.raises(GraderError, match="fitted with embedding model hashing.*this run uses sentence-transformers"):
        load_calibration(path, model_fingerprint="sentence-transformers/all-MiniLM-L6-v2|abc|torch")
    data = json.loads(path.read_text())
    data["feature_version"] = "0"
    (tmp_path / "old.json").write_text(json.dumps(data))
    with pytest.raises(GraderError, match="feature version '0'"):
        load_calibration(tmp_path / "old.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(GraderError, match="not a calibration file"):
        load_calibration(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text(json.dumps({"kind": "report"}))
    with pytest.raises(GraderError, match="not a calibration file"):
        load_calibration(tmp_path / "other.json")


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


def test_predict_clips_to_the_unit_interval():
    m = FittedEstimator(kind="ridge", features=["a"], params={"coef": [10.0], "intercept": 0.0})
    assert predict(m, np.array([[1.0], [-1.0]])).tolist() == [1.0, 0.0]


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


def test_default_rubric_loads_for_folders(default_rubric):
    assert load_rubric(Path(__file__).parent.parent / "rubrics" / "short_answer.yaml").questions == []


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

"""`grader calibrate`: featurize a dataset with the pipeline, cross-validate every dimension, summarise the
agreement, and optionally fit the calibration file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grader import __version__
from grader.calibration.features import FEATURE_VERSION
from grader.calibration.fit import VARIANTS, cross_validate, fit_dimension, predict_rows, needed_variants
from grader.calibration.store import fit_calibration
from grader.calibration.table import FeatureTable, build_table, to_scale
from grader.agreement.metrics import classification_scores, compare, rater_summary, ratings_agreement
from grader.errors import GraderError
from grader.inputs.rubric import default_rubric_path, load_rubric, short_answer_rubric
from grader.models import (
    Calibration, CalibrationConfig, CalibrationSummary, CrossValidation, Dataset, DimensionCalibration,
    PredictionRow, Rubric,
)
from grader.pipeline.grade import Toolkit, featurize_answers


def featurize_dataset(dataset: Dataset, rubric: Rubric | None, tools: Toolkit, cfg: CalibrationConfig,
                      ) -> tuple[FeatureTable, Rubric, bool]:
    """Run the pipeline over a dataset: a short-answer dataset gets the generic rubric built from its
    questions.csv (returned, with `True`); an answer folder uses `rubric` (the default rubric when None)."""
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
    tests = {s: np.flatnonzero((splits == s) & ~np.isnan(y)) for s in others}
    needed = set().union(*(needed_variants(table, dimension, train, rows, cfg) for rows in tests.values()))
    model = fit_dimension(table, dimension, train, cfg, seed, False, needed)
    for s, rows in tests.items():
        pred, used = predict_rows(model, table, train, rows, cfg)
        out[s] = (rows, pred, used)
    return out


@dataclass
class CalibrateRun:
    """What `grader calibrate` produces: out-of-fold prediction rows, the agreement summary (as written to
    <stem>.agreement.json), the model."""

    predictions: list[PredictionRow]
    summary: CalibrationSummary
    calibration: Calibration | None


def run_calibrate(dataset: Dataset, table: FeatureTable, *, rubric: Rubric, built_rubric: bool, model: str,
                  config_hash: str, folds: int, seed: int, group_by: str, cfg: CalibrationConfig,
                  fit_model: bool = False, n_boot: int = 1000) -> CalibrateRun:
    """On a featurized dataset (`featurize_dataset`, whose `rubric` and `built_rubric` come with it):
    cross-validate every dimension, evaluate the official splits where there are any, and (with `fit_model`)
    fit the calibration on all answers. `model` is the embedder's fingerprint, `config_hash` the pipeline's
    (`grader.pipeline.grade.config_hash`), both recorded in the calibration file. Single-threaded BLAS is the
    caller's choice (the public API sets it: these fits are small, and threads only contend)."""
    if group_by not in ("question", "none"):
        raise GraderError(f"--group-by must be question or none, not {group_by!r}")
    if folds < 2:
        raise GraderError("--cv needs at least 2 folds")
    scale = dataset.scale
    ids = [a.id for a in dataset.answers]
    qids = [a.question_id or table.questions[i] for i, a in enumerate(dataset.answers)]
    rows: list[PredictionRow] = []
    dims: dict[str, DimensionCalibration] = {}
    for dim in dataset.dimensions:
        cv = cross_validate(table, dim, folds=folds, seed=seed, group_by=group_by, cfg=cfg)
        human = to_scale(table.grades[dim], scale)
        pred = to_scale(cv.predicted, scale)
        raw = table.raw(dim)
        m = ~np.isnan(human)
        for i in np.flatnonzero(m):
            rows.append(PredictionRow(answer_id=ids[i], question_id=qids[i], fold=int(cv.fold[i]),
                                      raw_score=None if np.isnan(raw[i]) else round(float(raw[i]), 4),
                                      predicted=round(float(pred[i]), 4), human=round(float(human[i]), 4),
                                      dimension=dim, variant=cv.variant[i]))
        idx = np.flatnonzero(m)
        raters = sorted({r for a in dataset.answers for r in a.ratings.get(dim, {})})
        humans = np.array([[dataset.answers[i].ratings.get(dim, {}).get(r, np.nan) for r in raters] for i in idx])
        # An answer folder's grade is the mean of its raters: compare with their grades (never the rounded mean).
        reference = humans if dataset.kind == "answer_folder" and len(raters) >= 2 else human[idx]
        oof = rater_summary(reference, pred[idx], scale=scale, groups=[qids[i] for i in idx],
                            ids=[ids[i] for i in idx], n_boot=n_boot, seed=seed)
        variants = np.asarray(cv.variant)
        by_variant = {v: compare(reference[variants[idx] == v], pred[idx][variants[idx] == v], scale=scale)
                      for v in VARIANTS if (variants[idx] == v).sum() >= 2}
        agreement = None
        if len(raters) >= 2:
            agreement = ratings_agreement([ids[i] for i in idx], raters + ["grader"],
                                          np.column_stack([humans, pred[idx]]), scale=scale, machines=["grader"],
                                          n_boot=0, seed=seed)
        splits = {s: {**compare(human[r], to_scale(p, scale), scale=scale),
                      **classification_scores(human[r], to_scale(p, scale), scale=scale)}
                  for s, (r, p, _) in official_splits(table, dim, seed=seed, cfg=cfg).items()}
        dims[dim] = DimensionCalibration(
            **dict(oof), by_variant=by_variant,
            models_chosen={v: dict(sorted(_count(k).items())) for v, k in cv.chosen.items()},
            raters=agreement, official_splits=splits or None)
    summary = CalibrationSummary(
        dataset=dataset.name, kind=dataset.kind, fingerprint=dataset.fingerprint, answers=len(dataset.answers),
        questions=len(set(table.groups)), questions_with_reference=len(rubric.questions), scale=scale,
        cv=CrossValidation(folds=folds, seed=seed, group_by=group_by), grader_version=__version__,
        feature_version=FEATURE_VERSION, model=model, config=cfg, dimensions=dims)
    cal = None
    if fit_model:
        cal = fit_calibration(table, dataset, rubric=rubric, built_rubric=built_rubric, config_hash=config_hash,
                              model_fingerprint=model, seed=seed, group_by=group_by, cfg=cfg)
    return CalibrateRun(rows, summary, cal)


def _count(items: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out

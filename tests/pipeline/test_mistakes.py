"""Mistakes and penalties, found with their evidence (hashing embedder, default rubric)."""

from helpers import grade_text


def test_model_before_task_and_missing_plans_are_flagged_with_evidence(toolkit, default_rubric):
    r = grade_text("I would use XGBoost because it wins on tabular data. We predict whether the user clicks "
               "the ad, and if the AUC is above 0.8 we deploy it.", toolkit, default_rubric)
    ids = {m.id: m for m in r.mistakes}
    assert "model_before_task" in ids and "XGBoost" in ids["model_before_task"].evidence
    assert "offline_as_online" in ids and "AUC" in ids["offline_as_online"].evidence
    assert "no_calibration" in ids and ids["no_calibration"].source == "penalty"
    assert ids["no_calibration"].dimensions and ids["no_calibration"].advice


def test_task_first_and_a_b_plan_clear_those_flags(toolkit, default_rubric):
    r = grade_text("We frame it as binary classification: predict the probability that the user clicks the ad. "
               "Then a gradient boosted tree model scores each ad. We launch it through an A/B test on revenue "
               "and we calibrate the predicted probabilities with isotonic regression.", toolkit, default_rubric)
    ids = {m.id for m in r.mistakes}
    assert not ids & {"model_before_task", "offline_as_online", "no_calibration"}


def test_an_offline_gate_before_an_a_b_test_is_not_a_mistake(toolkit, default_rubric):
    """Gating on an offline metric, then testing online, is sound: only the gate alone is flagged."""
    gate = "We frame it as predicting the probability of a click. If the AUC is above 0.8 we deploy it."
    alone = {m.id for m in grade_text(gate, toolkit, default_rubric).mistakes}
    with_ab = {m.id for m in grade_text(gate + " Then we run an A/B test on revenue with guardrail metrics before "
                                    "the full rollout.", toolkit, default_rubric).mistakes}
    assert "offline_as_online" in alone and "offline_as_online" not in with_ab


def test_negated_concept_does_not_clear_its_penalty(toolkit, default_rubric):
    r = grade_text("We don't need calibration because we only sort the ads by predicted CTR.", toolkit, default_rubric)
    calib = [h for h in r.detectors if h.id == "calibration"]
    assert calib and calib[0].negated and not calib[0].hit and calib[0].credit == 0
    pen = [m for m in r.mistakes if m.id == "no_calibration"]
    assert pen and "negated" in pen[0].evidence

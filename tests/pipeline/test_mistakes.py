"""Mistakes, penalties and how detectors and flags move dimension scores (hashing embedder, default rubric)."""

from grader.models import Answer, MistakeHit, RunConfig
from grader.pipeline.grade import grade_answers
from grader.pipeline.scoring import relevant_concepts, score_dimensions


def _grade(text, toolkit, rubric, qid="q05"):
    answer = Answer(path=f"{qid}.md", text=text, format="markdown")
    result = grade_answers([answer], rubric, RunConfig(question=qid), toolkit)
    assert not result.failures
    return result.reports[0]


def test_model_before_task_and_missing_plans_are_flagged_with_evidence(toolkit, default_rubric):
    r = _grade("I would use XGBoost because it wins on tabular data. We predict whether the user clicks "
               "the ad, and if the AUC is above 0.8 we deploy it.", toolkit, default_rubric)
    ids = {m.id: m for m in r.mistakes}
    assert "model_before_task" in ids and "XGBoost" in ids["model_before_task"].evidence
    assert "offline_as_online" in ids and "AUC" in ids["offline_as_online"].evidence
    assert "no_calibration" in ids and ids["no_calibration"].source == "penalty"
    assert ids["no_calibration"].dimensions and ids["no_calibration"].advice


def test_task_first_and_a_b_plan_clear_those_flags(toolkit, default_rubric):
    r = _grade("We frame it as binary classification: predict the probability that the user clicks the ad. "
               "Then a gradient boosted tree model scores each ad. We launch it through an A/B test on revenue "
               "and we calibrate the predicted probabilities with isotonic regression.", toolkit, default_rubric)
    ids = {m.id for m in r.mistakes}
    assert not ids & {"model_before_task", "offline_as_online", "no_calibration"}


def test_an_offline_gate_before_an_a_b_test_is_not_a_mistake(toolkit, default_rubric):
    """Gating on an offline metric, then testing online, is sound: only the gate alone is flagged."""
    gate = "We frame it as predicting the probability of a click. If the AUC is above 0.8 we deploy it."
    alone = {m.id for m in _grade(gate, toolkit, default_rubric).mistakes}
    with_ab = {m.id for m in _grade(gate + " Then we run an A/B test on revenue with guardrail metrics before "
                                    "the full rollout.", toolkit, default_rubric).mistakes}
    assert "offline_as_online" in alone and "offline_as_online" not in with_ab


def test_negated_concept_does_not_clear_its_penalty(toolkit, default_rubric):
    r = _grade("We don't need calibration because we only sort the ads by predicted CTR.", toolkit, default_rubric)
    calib = [h for h in r.detectors if h.id == "calibration"]
    assert calib and calib[0].negated and not calib[0].hit and calib[0].credit == 0
    pen = [m for m in r.mistakes if m.id == "no_calibration"]
    assert pen and "negated" in pen[0].evidence


def test_off_stage_mention_earns_less_than_in_stage(toolkit, default_rubric):
    sentence = "We calibrate the predicted click probabilities with isotonic regression on a held-out day."
    in_stage = _grade(f"## Training\n\n{sentence}\n", toolkit, default_rubric)
    off_stage = _grade(f"## Clarifying questions\n\n{sentence}\n", toolkit, default_rubric)
    cred = {name: [h for h in r.detectors if h.id == "calibration"][0]
            for name, r in (("in", in_stage), ("off", off_stage))}
    assert cred["in"].hit and cred["off"].hit and cred["in"].credit == 1.0
    assert cred["off"].credit == default_rubric.detection.off_stage_credit < 1.0


def test_detectors_and_flags_move_dimensions(default_rubric):
    from grader.models import StageCoverage

    cov = [StageCoverage(stage=s, coverage=0.5, points=[]) for s in default_rubric.stage_ids]
    q = default_rubric.question("q05")
    base, _ = score_dimensions(cov, default_rubric)
    none = {c: 0.0 for c in relevant_concepts(q)}
    full = {c: 1.0 for c in relevant_concepts(q)}
    low, _ = score_dimensions(cov, default_rubric, concepts=none)
    high, _ = score_dimensions(cov, default_rubric, concepts=full)
    assert low["modeling_judgment"] < base["modeling_judgment"] < high["modeling_judgment"]
    flag = MistakeHit(id="x", evidence="e", deduction=0.5, dimensions=["serving_latency"])
    cut, _ = score_dimensions(cov, default_rubric, flags=[flag])
    assert cut["serving_latency"] == base["serving_latency"] * 0.5
    assert cut["problem_framing"] == base["problem_framing"]


def test_repeated_sentences_earn_nothing_more(toolkit, default_rubric):
    para = "We predict the click probability for each ad and rank ads by predicted CTR times the bid."
    once = _grade(para, toolkit, default_rubric)
    many = _grade("\n\n".join([para] * 6), toolkit, default_rubric)
    assert "repetition" in {m.id for m in many.mistakes}
    assert many.overall.score < once.overall.score

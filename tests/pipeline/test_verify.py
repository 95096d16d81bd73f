"""The concept verifier: a rubric's logistic weights decide which candidates are evidence (hashing backend)."""

import pytest
from pydantic import ValidationError

from grader.models import VerifierConfig
from grader.pipeline.verify import spec_texts

from helpers import grade_text

TEXT = "## Model\n\nWe calibrate the predicted click probabilities with isotonic regression on a held-out day.\n"


def with_verifier(rubric, **cfg):
    verifier = VerifierConfig(**cfg)
    return rubric.model_copy(update={"detection": rubric.detection.model_copy(update={"verifier": verifier})})


def test_spec_texts_split_a_description(default_rubric):
    spec = next(d for d in default_rubric.detectors if d.id == "calibration")
    what, pos, neg = spec_texts(spec)
    assert what.startswith("Making predicted probabilities") and "isotonic" in pos and "recalibrate" in neg
    bare = spec.model_copy(update={"description": ""})
    assert spec_texts(bare) == ("calibration",) * 3


def test_the_threshold_and_weights_decide_what_is_evidence(toolkit, default_rubric):
    keep_all = with_verifier(default_rubric, threshold=0.5, intercept=5.0, weights={})
    drop_all = with_verifier(default_rubric, threshold=0.5, intercept=-5.0, weights={})
    by_concept = with_verifier(default_rubric, threshold=0.5, intercept=5.0, weights={},
                               concept_bias={"calibration": -10.0})
    ids = lambda rubric: {h.id for h in grade_text(TEXT, toolkit, rubric).detectors}  # noqa: E731
    assert "calibration" in ids(keep_all) and ids(keep_all) == ids(default_rubric)
    assert ids(drop_all) == set()
    assert "calibration" not in ids(by_concept) and ids(by_concept) == ids(keep_all) - {"calibration"}


def test_a_verifier_weight_must_name_a_known_feature():
    with pytest.raises(ValidationError, match="unknown verifier feature"):
        VerifierConfig(threshold=0.5, intercept=0.0, weights={"sim_spec": 1.0, "vibes": 2.0})


def test_a_premise_must_name_known_detectors(default_rubric):
    from grader.models import Rubric

    data = default_rubric.model_dump(mode="json")
    data["mistakes"][1]["applies_if"] = ["no_such_concept"]
    with pytest.raises(ValidationError, match="no_such_concept"):
        Rubric.model_validate(data)

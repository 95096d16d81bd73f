"""Models: calibration configuration and the fitted calibration file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from grader.models.base import Frozen, NonNegative, Positive, Unit
from grader.models.dataset import Scale
from grader.models.rubric import Rubric


# ------------------------------------------------------------------------------------------- calibration


class CalibrationConfig(Frozen):
    """How raw pipeline output becomes features and which models compete for each dimension. One
    configuration for every dataset: nothing here is tuned per dataset. Recorded in the calibration file."""

    features: list[str] = Field(
        default=[], description="reference features the models see, `{dimension}` standing for the dimension "
                                "being fitted (raw_{dimension}, concepts_{dimension}, log_words ...); empty: all")
    neighbours: bool = Field(default=True, description="k-NN features over the graded answers; off: the "
                                                       "calibration file stores no answer texts or vectors")
    thresholds: list[Unit] = Field(default=[0.5, 0.6, 0.7, 0.8], min_length=1,
                                   description="coverage of key points at these cosine similarities")
    neighbours_k: int = Field(default=10, ge=1, description="graded neighbours averaged by the k-NN feature")
    neighbours_min: int = Field(default=3, ge=1, description="graded answers a question needs for k-NN")
    neighbour_temperature: Positive = Field(default=0.05, description="k-NN weights exp(similarity / T)")
    neighbour_folds: int = Field(default=10, ge=2, description="training rows get k-NN features out of fold")
    neighbour_ridge: Positive = Field(default=0.3, description="ridge penalty of the kernel ridge on neighbours")
    neighbour_kernel_power: int = Field(default=3, ge=1, description="kernel = cosine ** power (sharper when > 1)")
    lexical_ngrams: tuple[int, int] = Field(default=(2, 4), description="character n-grams of lexical neighbours")
    candidates: list[Literal["isotonic", "ridge", "logistic", "boosting", "blend"]] = Field(
        default=["isotonic", "ridge", "logistic", "boosting", "blend"], min_length=1)
    inner_folds: int = Field(default=5, ge=2, description="folds of the model-selection CV")
    ridge_alphas: list[Positive] = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    logistic_c: Positive = 1.0
    boosting_trees: int = Field(default=100, ge=1)
    boosting_depth: int = Field(default=3, ge=1)
    boosting_rate: Positive = 0.1
    boosting_min_leaf: int = Field(default=20, ge=1)
    boosting_l2: NonNegative = 1.0


class FittedEstimator(Frozen):
    """One fitted model as plain numbers (no pickle): `predict` in grader.calibration reads it back."""

    kind: Literal["constant", "isotonic", "ridge", "logistic", "boosting", "blend"]
    features: list[str]
    params: dict[str, object]
    cv_mse: dict[str, float] = Field(default={}, description="model-selection CV error of every candidate")


class DimensionModel(Frozen):
    dimension: str
    raw: str = Field(description="the raw pipeline score reported beside the grade")
    variants: dict[str, FittedEstimator] = Field(
        description="by available features: reference+neighbours, reference, neighbours, prior")


class NeighbourSet(Frozen):
    """The graded answers k-NN features look up: rubric question id, grades on the 0..1 scale per dimension,
    and the answer vectors (float16, base64, row-major)."""

    question_ids: list[str]
    grades: dict[str, list[float]] = Field(description="per dimension; -1 where not graded")
    texts: list[str]
    dim: int
    vectors: str


class Calibration(Frozen):
    kind: Literal["answer-grader-calibration"] = "answer-grader-calibration"
    format_version: Literal["1"] = "1"
    grader_version: str
    feature_version: str
    config_hash: str
    model: str = Field(description="embedder fingerprint")
    rubric: Rubric | None = Field(default=None, description="the rubric, when it was built from a dataset")
    dataset: dict[str, str | int]
    scale: Scale
    config: CalibrationConfig
    selection: dict[str, str | int]
    dimensions: dict[str, DimensionModel]
    neighbours: NeighbourSet

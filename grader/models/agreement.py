"""Models: agreement results (`grader agree`: agreement.json) and calibration summaries (`grader calibrate`:
<stem>.agreement.json and the out-of-fold predictions).

Numbers are held as written: rounded to 4 decimals, None where a metric is undefined (never NaN, which is not
JSON). Keys that do not apply are left out of the JSON (`_absent` fields), not written as null.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from grader.models.base import Frozen
from grader.models.calibration import CalibrationConfig
from grader.models.dataset import Scale


def round4(value: object) -> float | None:
    """A number rounded to 4 decimals (-0.0 as 0.0); NaN, inf and None as None."""
    if value is None:
        return None
    v = float(value)  # numpy scalars too
    return round(v, 4) + 0.0 if math.isfinite(v) else None


def _round_scale(scale: Scale) -> Scale:
    return scale.model_copy(update={k: round4(getattr(scale, k)) for k in ("min", "max", "step")})


#: A metric's value: rounded to 4 decimals, None where undefined.
MetricValue = Annotated[float | None, BeforeValidator(round4)]
#: A number that is always defined, rounded to 4 decimals.
Rounded = Annotated[float, BeforeValidator(round4)]
#: Metric name -> value: "n" (items compared) first, then every registered metric that applies.
MetricValues = dict[str, MetricValue]
#: A bootstrap interval [low, high]; [None, None] without resamples.
Interval = tuple[MetricValue, MetricValue]
#: The scale as written: its numbers rounded like every other value.
ReportScale = Annotated[Scale, AfterValidator(_round_scale)]


def _absent(value: object) -> bool:
    return value is None


def _optional() -> Any:
    """A field left out of the JSON when None (the key did not apply), rather than written as null."""
    return Field(default=None, exclude_if=_absent)


def to_json(model: BaseModel) -> str:
    """The JSON the CLI writes: one-space indent, ASCII, a final newline."""
    return json.dumps(model.model_dump(mode="json"), indent=1) + "\n"


# ------------------------------------------------------------------------------------------- one rater


class Band(Frozen):
    """Agreement on the answers in one third of the scale (by the human grade); no figures when empty."""

    band: Literal["low", "middle", "high"]
    n: int
    mae: MetricValue = _optional()
    bias: MetricValue = _optional()
    exact: MetricValue = _optional()  # ordinal and binary scales


class Confusion(Frozen):
    """Counts of (human grade, rater grade) on the scale's grid; against several humans, one per human grade."""

    labels: list[Rounded]
    rows_human_columns_rater: list[list[int]]


class Disagreement(Frozen):
    item: str
    human: Rounded
    rater: Rounded


class RaterSummary(Frozen):
    """One rater against the human reference (`grader.agreement.metrics.rater_summary`)."""

    metrics: MetricValues
    intervals: dict[str, Interval]
    bands: list[Band]
    confusion: Confusion | None = _optional()  # ordinal and binary scales
    largest_disagreements: list[Disagreement] | None = _optional()  # when the items' ids are known


class RaterAgreement(RaterSummary):
    """A rater in a ratings table: a human against the other humans, a machine against all of them."""

    kind: Literal["human", "machine"]
    reference: str


# --------------------------------------------------------------------------------------- one dimension


class HumanAlpha(Frozen):
    """Krippendorff's alpha among the human raters."""

    interval: MetricValue
    ordinal: MetricValue


class RatingsAgreement(Frozen):
    """Agreement in one dimension of an items x raters table (`grader.agreement.metrics.ratings_agreement`);
    `pairs` is keyed "rater_a ~ rater_b"."""

    items: int
    raters: dict[str, RaterAgreement]
    pairs: dict[str, MetricValues]
    human_alpha: HumanAlpha | None = _optional()  # two or more humans


class AgreementReport(Frozen):
    """What `grader agree` writes to agreement.json."""

    source: str
    scale: ReportScale
    machines: list[str]
    dimensions: dict[str, RatingsAgreement]
    failures: list[str] = Field(description="one line per failed --fail-under gate")


# ------------------------------------------------------------------------------------------ calibration


class DimensionCalibration(RaterSummary):
    """One dimension's out-of-fold predictions against the human grades."""

    by_variant: dict[str, MetricValues] = Field(description="variants that predicted two or more answers")
    models_chosen: dict[str, dict[str, int]] = Field(description="variant -> model kind -> folds that chose it")
    raters: RatingsAgreement | None = _optional()  # datasets with two or more raters per answer
    official_splits: dict[str, MetricValues] | None = _optional()  # datasets with a `train` split


class CrossValidation(Frozen):
    folds: int
    seed: int
    group_by: Literal["question", "none"]


class CalibrationSummary(Frozen):
    """What `grader calibrate` writes beside its predictions (<stem>.agreement.json)."""

    dataset: str
    kind: Literal["short_answer", "answer_folder"]
    fingerprint: str
    answers: int
    questions: int
    questions_with_reference: int
    scale: ReportScale
    cv: CrossValidation
    grader_version: str
    feature_version: str
    model: str = Field(description="embedder fingerprint")
    config: CalibrationConfig
    dimensions: dict[str, DimensionCalibration]


class PredictionRow(Frozen):
    """One row of the out-of-fold predictions CSV (grades on the dataset's scale, rounded to 4 decimals)."""

    answer_id: str
    question_id: str
    fold: int
    raw_score: float | None = Field(description="the pipeline's raw score; None where it has none")
    predicted: float
    human: float
    dimension: str
    variant: str

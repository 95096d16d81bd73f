"""Every pydantic model of the pipeline: the rubric (validated once), the run configuration, and what each
stage hands to the next, down to the report whose JSON is a contract (`schema_version`).

Models are frozen and reject unknown fields, so a typo in a rubric fails at load time with its field path.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = "1"

#: The framework's seven stages, in order (contract).
STAGE_IDS: tuple[str, ...] = (
    "clarify",
    "ml_task",
    "data_features",
    "model",
    "training",
    "serving",
    "monitoring",
)

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------------- rubric


class Stage(Frozen):
    """One step of the framework: how it is recognised in headings and what it is for."""

    id: Identifier
    name: str
    description: str
    headings: list[str] = Field(min_length=1, description="phrases that mark a heading as this stage")


class TimePlan(Frozen):
    total_minutes: Positive
    minutes: dict[str, NonNegative]


class Dimension(Frozen):
    """An area interviewers evaluate, computed from stage coverage with these weights."""

    id: Identifier
    name: str
    description: str
    weight: Positive = Field(description="weight of this dimension in the overall score")
    stages: dict[str, Positive] = Field(min_length=1, description="stage id -> weight")


class CoverageConfig(Frozen):
    """How a cosine similarity between a key point and an answer sentence becomes credit.

    credit = clip((similarity - floor) / (full - floor), 0, 1); a key point is *matched* when its best
    similarity reaches `match`; a sentence outside the key point's stage earns `off_stage_factor` of its credit.
    """

    floor: Unit
    full: Unit
    match: Unit
    off_stage_factor: Unit

    @model_validator(mode="after")
    def _ordered(self) -> CoverageConfig:
        if not self.floor < self.match <= self.full:
            raise ValueError("coverage thresholds must satisfy floor < match <= full")
        return self


class TimingConfig(Frozen):
    words_per_minute: Positive
    over_budget_factor: Positive


class QuestionDetectionConfig(Frozen):
    min_similarity: Unit
    min_margin: NonNegative


class KeyPoint(Frozen):
    id: Identifier
    text: str = Field(min_length=1)


class Penalty(Frozen):
    id: Identifier
    description: str
    advice: str
    unless_detected: list[str] = []
    unless_covered: list[str] = Field(default=[], description="key points as stage.id")


class Question(Frozen):
    id: Identifier
    title: str
    prompt: str
    aliases: list[str] = []
    golden_answers: list[str] = []
    key_points: dict[str, list[KeyPoint]]
    required_concepts: list[str] = []
    penalties: list[Penalty] = []

    def all_key_points(self) -> list[tuple[str, KeyPoint]]:
        return [(stage, kp) for stage, points in self.key_points.items() for kp in points]


class Rubric(Frozen):
    rubric_version: str
    id: Identifier
    name: str
    stages: list[Stage]
    time_plans: dict[str, TimePlan]
    default_time_plan: str
    dimensions: list[Dimension]
    coverage: CoverageConfig
    timing: TimingConfig
    question_detection: QuestionDetectionConfig
    questions: list[Question]

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        stage_ids = [s.id for s in self.stages]
        _unique("stage", stage_ids)
        _unique("dimension", [d.id for d in self.dimensions])
        _unique("question", [q.id for q in self.questions])
        known = set(stage_ids)
        for d in self.dimensions:
            _known(f"dimension {d.id!r} stages", d.stages, known)
        if self.default_time_plan not in self.time_plans:
            raise ValueError(
                f"default_time_plan {self.default_time_plan!r} is not one of {sorted(self.time_plans)}"
            )
        for name, plan in self.time_plans.items():
            _known(f"time plan {name!r}", plan.minutes, known)
            missing = [s for s in stage_ids if s not in plan.minutes]
            if missing:
                raise ValueError(f"time plan {name!r} has no minutes for stage(s) {', '.join(missing)}")
        for q in self.questions:
            _known(f"question {q.id!r} key_points", q.key_points, known)
            _unique(f"question {q.id!r} key point", [kp.id for _, kp in q.all_key_points()])
            bare = [s for s in stage_ids if not q.key_points.get(s)]
            if bare:
                raise ValueError(f"question {q.id!r} has no key points for stage(s) {', '.join(bare)}")
            point_refs = {f"{stage}.{kp.id}" for stage, kp in q.all_key_points()}
            for p in q.penalties:
                bad = [ref for ref in p.unless_covered if ref not in point_refs]
                if bad:
                    raise ValueError(f"question {q.id!r} penalty {p.id!r} names unknown key point(s) {bad}")
        return self

    @property
    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id {i!r}")
        seen.add(i)


def _known(what: str, keys: dict, known: set[str]) -> None:
    unknown = sorted(set(keys) - known)
    if unknown:
        raise ValueError(f"{what} name unknown stage(s) {unknown}; stages are {sorted(known)}")


# ------------------------------------------------------------------------------------------- run config


class RunConfig(Frozen):
    """The CLI's flags after validation, passed explicitly to the stages that need them."""

    question: str | None = None
    out_dir: str = "reports"
    formats: tuple[str, ...] = ("json", "md", "csv")
    fail_under: Unit | None = None
    cache_dir: str | None = None
    time_plan: str | None = None
    max_bytes: int = Field(default=2_000_000, gt=0)
    progress: bool = False


# -------------------------------------------------------------------------------------- pipeline models

QuestionSource = Literal["flag", "front_matter", "detected"]
SectionMethod = Literal["heading", "inferred", "absent"]


class Answer(Frozen):
    """An answer as read from disk: `text` is what the grader works on (front matter removed); every
    character offset in the pipeline and the report points into it."""

    path: str
    text: str
    format: Literal["markdown", "text"]
    front_matter: dict[str, str] = {}
    question_id: str | None = None


class Sentence(Frozen):
    text: str
    start: int
    end: int
    stage: str | None = None
    heading: str | None = None


class SectionedAnswer(Frozen):
    answer: Answer
    sentences: list[Sentence]
    headings: list[tuple[str, str | None]] = Field(
        default=[], description="(heading text, stage id or None) in document order"
    )


class PointMatch(Frozen):
    stage: str
    id: str
    text: str
    similarity: float
    credit: float
    matched: bool
    evidence: str | None = None
    in_stage: bool = True


class StageCoverage(Frozen):
    stage: str
    coverage: Unit
    points: list[PointMatch]


class QuestionChoice(Frozen):
    question_id: str
    source: QuestionSource
    similarity: float | None = None
    margin: float | None = None


# --------------------------------------------------------------------------------------- report (contract)


class AnswerInfo(Frozen):
    path: str
    question_id: str
    question_source: QuestionSource
    question_margin: float | None = None
    words: int


class Overall(Frozen):
    score: Unit
    grade: float | None = None
    scale: str | None = None


class DimensionScore(Frozen):
    score: Unit
    grade: float | None = None
    evidence: list[str] = []


class SectionReport(Frozen):
    stage: str
    heading: str | None
    method: SectionMethod
    start: int | None
    end: int | None
    words: int
    coverage: Unit
    matched_points: list[str]
    missing_points: list[str]


class DetectorHit(Frozen):
    id: str
    hit: bool
    negated: bool
    stage: str | None
    evidence: str
    start: int


class TimeAllocation(Frozen):
    source: Literal["timestamps", "words"]
    plan_name: str
    minutes: dict[str, float]
    plan: dict[str, float]
    flags: list[str]


class MistakeHit(Frozen):
    id: str
    evidence: str


class CalibrationInfo(Frozen):
    """How `grade` was obtained: the calibration's config and dataset, the unrounded value per calibrated
    dimension on the human scale, and the feature variant its model used."""

    config_hash: str
    dataset: str
    scale: str
    values: dict[str, float]
    variants: dict[str, str]


class Report(Frozen):
    schema_version: str = SCHEMA_VERSION
    grader_version: str
    model: str
    config_hash: str
    answer: AnswerInfo
    overall: Overall
    dimensions: dict[str, DimensionScore]
    sections: list[SectionReport]
    detectors: list[DetectorHit]
    time_allocation: TimeAllocation
    mistakes: list[MistakeHit]
    calibration: CalibrationInfo | None = None

    @field_validator("dimensions")
    @classmethod
    def _non_empty(cls, v: dict[str, DimensionScore]) -> dict[str, DimensionScore]:
        if not v:
            raise ValueError("a report has at least one dimension")
        return v


class InputFailure(Frozen):
    """An answer that could not be graded, with the one-line reason."""

    path: str
    message: str


class BatchResult(Frozen):
    reports: list[Report]
    failures: list[InputFailure]


# ------------------------------------------------------------------------------ datasets (calibration input)

ScaleType = Literal["continuous", "ordinal", "binary"]


class Scale(Frozen):
    """The human grading scale of a dataset: grades lie in [min, max]; ordinal and binary grades lie on a grid
    of `step` from `min`."""

    min: float
    max: float
    type: ScaleType
    step: Positive = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not self.min < self.max:
            raise ValueError(f"scale min ({self.min:g}) must be below max ({self.max:g})")
        return self

    @property
    def discrete(self) -> bool:
        return self.type in ("ordinal", "binary")

    @property
    def label(self) -> str:
        return f"{self.min:g}-{self.max:g} {self.type}"


class DatasetQuestion(Frozen):
    id: str
    question: str = ""
    reference: str = ""


class GradedAnswer(Frozen):
    """One human-graded answer: `grades` is the consensus per dimension (the dataset's score, or the mean of
    its raters), `ratings` each rater's grade per dimension where the dataset has them."""

    id: str
    question_id: str
    answer: Answer
    grades: dict[str, float]
    ratings: dict[str, dict[str, float]] = {}
    split: str | None = None
    label: str | None = None


class Dataset(Frozen):
    name: str
    kind: Literal["short_answer", "answer_folder"]
    path: str
    fingerprint: str = Field(description="SHA-256 over the files read")
    scale: Scale
    dimensions: list[str]
    questions: list[DatasetQuestion]
    answers: list[GradedAnswer]


# ------------------------------------------------------------------------------------------- calibration


class CalibrationConfig(Frozen):
    """How raw pipeline output becomes features and which models compete for each dimension. One
    configuration for every dataset: nothing here is tuned per dataset. Recorded in the calibration file."""

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

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
    # Fields with defaults are still always written, so the report's schema lists them as required.
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


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
    formats: tuple[str, ...] = ("json", "md", "html", "csv")
    fail_under: Unit | None = None
    fail_under_dimension: dict[str, Unit] = Field(default={}, description="dimension id -> threshold")
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

"""Models: the report: the JSON contract (`schema_version`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from grader.models.base import QuestionSource, SectionMethod, Frozen, SCHEMA_VERSION, Unit


# --------------------------------------------------------------------------------------- report (contract)


class AnswerInfo(Frozen):
    path: str
    question_id: str
    question_source: QuestionSource
    question_margin: float | None = None
    question_similarity: float | None = None
    question_guess: str | None = None
    format: str = "markdown"
    words: int
    language: str = Field(default="en", description="ISO 639-1 code of the dominant language")
    english_share: Unit = Field(default=1.0, description="English share of the letters (a CJK character counts as "
                                "the rubric's language.cjk_weight letters)")


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
    confidence: float | None = None
    start: int | None
    end: int | None
    spans: list[tuple[int, int]] = []
    words: int
    coverage: Unit
    matched_points: list[str]
    missing_points: list[str]


class DetectorHit(Frozen):
    """The best mention of a concept in the answer. `hit` needs a substantive, non-negated sentence; `credit`
    is what the mention earns (1 in a home stage, less elsewhere, a small fraction for a bare list item,
    glossary line, stuffed or repeated sentence, 0 when negated); `note` says why; `description` is the rubric's
    spec of the concept (empty when the rubric has none)."""

    id: str
    hit: bool
    negated: bool
    stage: str | None
    evidence: str
    start: int
    credit: Unit = 0.0
    note: str = ""
    description: str = Field(default="", description="the rubric's spec of the concept: what counts, an example "
                                                      "that earns it and a look-alike that does not")


class TimelineEntry(Frozen):
    """A run of consecutive sentences in one stage (None: unassigned), in minutes from the answer's start."""

    stage: str | None
    start: float
    end: float
    words: int


class TimeAllocation(Frozen):
    source: Literal["timestamps", "words"]
    plan_name: str
    minutes: dict[str, float]
    plan: dict[str, float]
    flags: list[str]
    total_minutes: float = 0.0
    share: dict[str, float] = {}
    timeline: list[TimelineEntry] = []


class MistakeHit(Frozen):
    """A flag: a common mistake, a question's penalty, or a gaming pattern, with the evidence (or what was
    looked for and not found) and how much it took off which dimensions."""

    id: str
    evidence: str
    source: Literal["mistake", "penalty", "gaming", "language"] = "mistake"
    deduction: Unit = 0.0
    dimensions: list[str] = []
    advice: str = ""


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


class InputWarning(Frozen):
    """Something an answer's reader skipped (a transcript's malformed block) while still grading the rest;
    `str()` is the line printed: `talk.vtt:14: skipped a block without a timing line`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class BatchResult(Frozen):
    """The reports, the answers not graded, and the readers' warnings (by path, then line)."""

    reports: list[Report]
    failures: list[InputFailure]
    warnings: list[InputWarning] = []
    headline: str = Field(default="", description="what the reports headline and thresholds compare: calibrated "
                                                  "grades or raw scores, and why")

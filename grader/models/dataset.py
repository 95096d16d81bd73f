"""Models: human-graded datasets (calibration and agreement input)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from grader.models.answer import Answer
from grader.models.base import Frozen, Positive


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

"""Every pydantic model of the pipeline: the rubric (validated once), the run configuration, and what each
stage hands to the next, down to the report whose JSON is a contract (`schema_version`).

Models are frozen and reject unknown fields, so a typo in a rubric fails at load time with its field path.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel, ConfigDict, Field,
)

SCHEMA_VERSION = "3"  # 3: detectors[].description (issue 19); 2: answer.language, answer.english_share (issue 18)

#: The id under which an answer to an unknown question is graded with the generic stage rubric.
GENERIC_QUESTION_ID = "generic"

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
QuestionSource = Literal["flag", "front_matter", "title", "detected", "unknown"]
SectionMethod = Literal["heading", "inferred", "absent"]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$")]


class Frozen(BaseModel):
    # Fields with defaults are still always written, so the report's schema lists them as required.
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

"""Models: the run configuration and what the pipeline's stages hand each other."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from grader.config import MAX_ANSWER_BYTES
from grader.models.base import QuestionSource, Frozen, Unit
from grader.models.report import InputWarning


# ------------------------------------------------------------------------------------------- run config


class RunConfig(Frozen):
    """The CLI's flags after validation, passed explicitly to the stages that need them."""

    question: str | None = None
    out_dir: str = "reports"
    fail_under: float | None = Field(default=None, description="on the headline's scale: grade, else raw 0-1")
    fail_under_dimension: dict[str, float] = Field(default={}, description="dimension id -> threshold")
    cache_dir: str | None = None
    time_plan: str | None = None
    max_bytes: int = Field(default=MAX_ANSWER_BYTES, gt=0)
    progress: bool = False


# -------------------------------------------------------------------------------------- pipeline models



class Segment(Frozen):
    """A stretch of a transcript's `Answer.text` (character offsets) with when it was said (seconds, when the
    transcript has times) and who said it (the label removed from the text)."""

    start: int
    end: int
    t_start: float | None = None
    t_end: float | None = None
    speaker: str | None = None


class Answer(Frozen):
    """An answer as read from disk: `text` is what the grader works on (front matter removed; for
    transcripts, the spoken text without timings or speaker labels, one line per cue, a blank line between
    speaker turns); every character offset in the pipeline and the report points into it."""

    path: str
    text: str
    format: Literal["markdown", "text", "vtt", "srt", "whisper_json"]
    front_matter: dict[str, str] = {}
    question_id: str | None = None
    segments: list[Segment] = []
    # Not serialized, so not in the report cache key: they follow from the file, and the CLI prints them.
    warnings: list[InputWarning] = Field(default=[], exclude=True,
                                         description="what the reader skipped (a transcript's malformed blocks)")

    @property
    def is_transcript(self) -> bool:
        return bool(self.segments)


class Sentence(Frozen):
    """A sentence with its stage. `candidates` are the stages its heading allows (one: fixed by the heading;
    several: a heading naming two stages; none: free); `block` numbers paragraphs; `method` and `confidence`
    say how the stage was decided; `t_start`/`t_end` are seconds into a timed transcript. `role`: what kind of
    text it is (a `reference` (link list, citation, further-reading section) or an image `caption` is never
    evidence of a concept)."""

    text: str
    start: int
    end: int
    stage: str | None = None
    heading: str | None = None
    candidates: tuple[str, ...] = ()
    forced_none: bool = False
    block: int = 0
    method: Literal["heading", "inferred"] | None = None
    confidence: float | None = None
    stage_probs: tuple[float, ...] = Field(
        default=(), description="where the stage was inferred: the probability of each rubric stage, in rubric "
                                "order (the rest is 'none'); scores weigh the sentence by these, so they move "
                                "smoothly with the embeddings. Empty when a heading fixed the stage")
    t_start: float | None = None
    t_end: float | None = None
    role: Literal["prose", "item", "table", "reference", "caption"] = "prose"
    context: str | None = Field(default=None, description="the nearest heading or list label above it")


NOT_EVIDENCE_ROLES = frozenset({"reference", "caption"})  # sentence roles never taken as evidence of a concept


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
    """The question graded against; when detection was unsure, `question_id` is the generic rubric and
    `guess` the closest rubric question."""

    question_id: str
    source: QuestionSource
    similarity: float | None = None
    margin: float | None = None
    guess: str | None = None

"""Models: rubric: the stages, dimensions, questions, detectors and mistakes, validated once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, model_validator

from grader.models.base import Frozen, GENERIC_QUESTION_ID, Identifier, NonNegative, Positive, Unit


# --------------------------------------------------------------------------------------------------- rubric


class Stage(Frozen):
    """One step of the framework: how it is recognised in headings and what it is for."""

    id: Identifier
    name: str
    description: str
    headings: list[str] = Field(min_length=1, description="phrases that mark a heading as this stage")
    generic_points: list[str] = Field(
        default=[], description="question-independent key points: the generic rubric used when the question is "
                                "unknown, and prototypes for stage inference (default: the description)")

    def generic_texts(self) -> list[str]:
        return list(self.generic_points) or [self.description]


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
    """How time per stage is measured and judged. Without timestamps, minutes = words / words_per_minute."""

    words_per_minute: Positive
    over_budget_factor: Positive
    deadlines: dict[str, NonNegative] = Field(
        default={}, description="stage id -> minute mark; a stage still running past it is flagged")


class InferenceConfig(Frozen):
    """Stage inference for sentences no heading assigns: a chain over sentences decoded by Viterbi.

    Every sentence scores each stage by its best cosine similarity to the stage's prototypes (the question's
    key points for that stage, the stage's generic points) divided by `temperature`; the `none` state
    (preamble, asides, off-topic) scores the best of: its similarity to the rubric's `none_points`, its
    similarity to the question's title, prompt and aliases minus `question_offset`, and `none_similarity`. Moving between stages costs `forward` (plus
    `skip` per stage jumped over) or `backward`; entering and leaving `none` cost `to_none` / `from_none`;
    any change inside one paragraph costs `block_switch` more. A sentence whose first `cue_words` words name
    a stage (a heading phrase: "For training, ...") gets `cue_bonus` for that stage; in an answer organised
    by stage headings, a sentence before the first of them gets `preamble_bonus` for none (an introduction).
    """

    temperature: Positive
    none_similarity: Unit
    question_offset: NonNegative = Field(
        description="none also scores the similarity to the question's own wording minus this: restating the "
                    "question is not yet answering it")
    forward: NonNegative
    skip: NonNegative
    backward: NonNegative
    to_none: NonNegative
    from_none: NonNegative
    block_switch: NonNegative
    preamble_bonus: NonNegative = Field(
        description="bonus for none before the first stage heading of an answer organised by headings")
    cue_bonus: NonNegative
    cue_words: int = Field(ge=0)


class SectionsConfig(Frozen):
    """How answers are split into stages: headings that mark unassigned parts, and inference for the rest."""

    none_headings: list[str] = Field(
        description="phrases of headings whose text belongs to no stage (summary, table of contents)")
    reference_headings: list[str] = Field(
        default=[], description="phrases of headings of reference lists (references, further reading): "
                                "their text is never evidence of a concept")
    none_points: list[str] = Field(
        default=[], description="sentences that stand for text in no stage (greetings, agendas, closings); "
                                "the none state's prototypes in stage inference")
    max_sentence_words: int = Field(gt=0, description="longer transcript sentences are cut at cue boundaries")
    inference: InferenceConfig


class QuestionDetectionConfig(Frozen):
    """Below either threshold the question is reported unknown and the generic stage rubric is used."""

    min_similarity: Unit
    min_margin: NonNegative


class KeyPoint(Frozen):
    id: Identifier
    text: str = Field(min_length=1)


class Penalty(Frozen):
    """What interviewers penalise in one question: flagged unless one of `unless_detected` is found (a
    substantive, non-negated mention) or one of `unless_covered` key points is matched."""

    id: Identifier
    description: str
    advice: str
    unless_detected: list[str] = []
    unless_covered: list[str] = Field(default=[], description="key points as stage.id")
    applies_if: list[str] = Field(
        default=[], description="its premise: it applies only to an answer that names one of these concepts "
                                "(\"trains the ranker on raw clicks\" needs labels); empty: always")
    deduction: Unit | None = Field(default=None, description="default: detection.penalty_deduction")
    dimensions: list[str] | None = Field(
        default=None, description="dimensions it lowers; default: those its detectors feed")


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


# ------------------------------------------------------------------------------------ detectors, mistakes

GamingId = Literal["keyword_list", "glossary", "keyword_stuffing", "repetition"]


class MatchSpec(Frozen):
    """One way to find a concept: a detector kind (grader/detectors/) and its params. In YAML the params sit
    beside `kind` (`{kind: phrase, phrases: [...]}`); they are validated against the kind's params model."""

    kind: str
    params: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        if isinstance(data, dict) and "params" not in data:
            return {"kind": data.get("kind"), "params": {k: v for k, v in data.items() if k != "kind"}}
        return data

    @model_validator(mode="after")
    def _valid_params(self) -> MatchSpec:
        from grader.pipeline.detectors import KINDS

        if self.kind not in KINDS:
            raise ValueError(f"unknown detector kind {self.kind!r}; available: {', '.join(KINDS.names())}")
        try:
            KINDS.get(self.kind).params.model_validate(self.params)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"{self.kind} params: {problems}") from None
        return self


class DetectorSpec(Frozen):
    """A concept interviewers listen for: where it belongs, what it feeds, and how it is found."""

    id: Identifier
    description: str = Field(default="", description="what counts as the concept, with one positive example and "
                                                      "one look-alike that does not")
    stages: list[str] = Field(min_length=1, description="home stage(s): a mention elsewhere counts less")
    feeds: dict[str, Positive] = Field(min_length=1, description="dimension id -> weight")
    negation: bool = Field(default=True, description="a negated mention does not count")
    requires: list[str] = Field(default=[], description="the sentence must also contain one of these")
    excludes: list[str] = Field(default=[], description="a sentence containing one of these is no match")
    match: list[MatchSpec] = Field(min_length=1)


class NegationConfig(Frozen):
    """NegEx-style scope: cue lemmas within a window of tokens before or after a mention, not crossing a
    boundary token, each flip its polarity ("don't skip calibration" is two flips: positive)."""

    window_before: Annotated[int, Field(ge=0, le=20)]
    window_after: Annotated[int, Field(ge=0, le=20)]
    cues: list[str] = Field(min_length=1)
    pseudo: list[str] = Field(default=[], description="a cue followed by one of these is no cue (not only)")
    after_verbs: list[str] = Field(
        default=[], description="cues after a mention count only when it is followed by one of these "
                                "(\"calibration is not needed\"; not \"new users have no history\")")
    boundaries: list[str]


class SubstanceConfig(Frozen):
    """Whether a sentence says something, or only names terms; the weight its embedding match keeps."""

    min_function_words: Annotated[int, Field(ge=0)] = Field(
        description="fewer function words than this (numbers aside) make a fragment")
    fragment_weight: Unit
    fragment_max_words: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="a fragment also has at most this many content words outside its concept "
                                  "terms (a terse note that says something is not a bare list item); None: any")
    enumeration_words: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="with fragment_max_words: a sentence of two or more comma-separated parts of at "
                                  "most this many words each is a list of names, a fragment however many words")
    dense_concepts: Annotated[int, Field(ge=2)] = Field(
        description="a sentence naming at least this many concepts ...")
    dense_words_per_concept: Positive = Field(description="... with at most this many words per concept is stuffed")
    stuffed_weight: Unit = Field(description="weight of stuffed sentences in an answer flagged keyword_stuffing")
    near_duplicate: Unit = Field(description="cosine at which a sentence repeats an earlier one")
    definition_separators: list[str]
    definition_openers: list[str]
    definition_weight: Unit = Field(description="weight of definition lines in an answer flagged glossary")
    min_sentences: Annotated[int, Field(ge=1)] = Field(
        description="an answer needs this many sentences before a share of them raises a gaming flag")


class GamingFlag(Frozen):
    share: Unit = Field(description="share of the answer's sentences that raises the flag")
    deduction: Unit = Field(description="every dimension is multiplied by 1 - deduction")


VERIFIER_FEATURES = ("sim_spec", "sim_pos", "sim_neg", "sim_ctx", "direct", "long_span", "item", "table", "weak",
                     "home", "log_words")


class VerifierConfig(Frozen):
    """A logistic model deciding whether a detector's candidate is evidence (grader.pipeline.verify); fitted
    by benchmarks/fit_verifier.py."""

    threshold: Unit = Field(description="candidates with a lower probability are not evidence")
    intercept: float
    weights: dict[str, float] = Field(description="feature name -> weight (grader.pipeline.verify.FEATURES)")
    concept_bias: dict[str, float] = Field(default={}, description="detector id -> added to the intercept")
    fitted_on: str = Field(default="", description="what it was fitted on, with which embedding model")

    @model_validator(mode="after")
    def _known_features(self) -> VerifierConfig:
        unknown = sorted(set(self.weights) - set(VERIFIER_FEATURES))
        if unknown:
            raise ValueError(f"unknown verifier feature(s) {', '.join(unknown)}; known: {', '.join(VERIFIER_FEATURES)}")
        return self


class DetectionConfig(Frozen):
    detector_weight: Unit = Field(description="share of a dimension from the question's concept detectors")
    off_stage_credit: Unit = Field(description="credit of a substantive mention outside the home stages")
    weak_credit: Unit = Field(description="credit of a mention in a fragment, definition, stuffed or repeated line")
    penalty_deduction: Unit = Field(description="default deduction of a question penalty")
    max_deduction: Unit = Field(default=1.0, description="flags take at most this share off one dimension")
    verifier: VerifierConfig | None = None
    negation: NegationConfig
    substance: SubstanceConfig
    gaming: dict[GamingId, GamingFlag]


class LanguageConfig(Frozen):
    """When an answer counts as not English (grader.pipeline.language)."""

    min_english_share: Unit = Field(default=0.8, description="under this English share: the not_english flag")
    min_function_words: Unit = Field(default=0.15, description="Latin text with fewer English function words "
                                     "than this share is identified line by line (it may be French, German...)")
    cjk_weight: Positive = Field(default=3.0, description="letters a Chinese, Japanese or Korean character counts as")


class Anchor(Frozen):
    detectors: list[str] = []
    stages: list[str] = []


class MistakeSpec(Frozen):
    """A common mistake. `missing`: flagged when none of `unless_detected` is found (or one of
    `when_detected` is: explicit evidence). `order`: flagged when `early` shows up before `late`, or `late`
    never does."""

    id: Identifier
    description: str
    advice: str
    check: Literal["missing", "order"]
    unless_detected: list[str] = []
    when_detected: list[str] = []
    early: Anchor | None = None
    late: Anchor | None = None
    questions: list[str] = Field(default=[], description="the questions it applies to; empty: all")
    applies_if: list[str] = Field(
        default=[], description="its premise: it applies only to an answer that names one of these concepts "
                                "(\"treats offline metrics as the goal\" needs offline metrics); empty: always")
    late_must_appear: bool = Field(
        default=True, description="order check: an answer where `late` never shows up is flagged too")
    deduction: Unit
    dimensions: list[str] = Field(default=[], description="dimensions it lowers; empty: all")

    @model_validator(mode="after")
    def _shape(self) -> MistakeSpec:
        if self.check == "order" and (self.early is None or self.late is None):
            raise ValueError("an order check needs `early` and `late`")
        if self.check == "missing" and not (self.unless_detected or self.when_detected):
            raise ValueError("a missing check needs `unless_detected` or `when_detected`")
        return self


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
    sections: SectionsConfig = Field(default_factory=lambda: DEFAULT_SECTIONS)
    questions: list[Question]
    detection: DetectionConfig | None = None
    detectors: list[DetectorSpec] = []
    mistakes: list[MistakeSpec] = []
    language: LanguageConfig = LanguageConfig()

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Rubric:
        """Cross-references must hold. Validated with `context={"problems": []}`, every problem is appended there
        as (location, message) (what `grader rubric check` lists, with line numbers); otherwise the first raises."""
        problems = self.cross_reference_problems()
        sink = info.context.get("problems") if isinstance(info.context, dict) else None
        if problems and isinstance(sink, list):
            sink.extend(problems)
        elif problems:
            raise ValueError(problems[0][1])
        return self

    def cross_reference_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        out: list[tuple[tuple[str | int, ...], str]] = []

        def check(loc: tuple[str | int, ...], message: str | None) -> None:
            if message:
                out.append((loc, message))

        stage_ids = [s.id for s in self.stages]
        known = set(stage_ids)
        check(("stages",), _unique("stage", stage_ids))
        check(("dimensions",), _unique("dimension", [d.id for d in self.dimensions]))
        check(("questions",), _unique("question", [q.id for q in self.questions]))
        for i, q in enumerate(self.questions):
            if q.id == GENERIC_QUESTION_ID:
                check(("questions", i, "id"),
                      f"question id {GENERIC_QUESTION_ID!r} is reserved for the generic stage rubric")
        check(("timing", "deadlines"), _known("timing deadlines", self.timing.deadlines, known))
        for i, d in enumerate(self.dimensions):
            check(("dimensions", i, "stages"), _known(f"dimension {d.id!r} stages", d.stages, known))
            total = sum(d.stages.values())
            if abs(total - 1.0) > 1e-6:
                check(("dimensions", i, "stages"), f"dimension {d.id!r} stage weights sum to {total:g}, not 1")
        if self.default_time_plan not in self.time_plans:
            check(("default_time_plan",),
                  f"default_time_plan {self.default_time_plan!r} is not one of {sorted(self.time_plans)}")
        for name, plan in self.time_plans.items():
            loc = ("time_plans", name, "minutes")
            check(loc, _known(f"time plan {name!r}", plan.minutes, known))
            missing = [s for s in stage_ids if s not in plan.minutes]
            if missing:
                check(loc, f"time plan {name!r} has no minutes for stage(s) {', '.join(missing)}")
        for i, q in enumerate(self.questions):
            loc = ("questions", i, "key_points")
            check(loc, _known(f"question {q.id!r} key_points", q.key_points, known))
            check(loc, _unique(f"question {q.id!r} key point", [kp.id for _, kp in q.all_key_points()]))
            bare = [s for s in stage_ids if not q.key_points.get(s)]
            if bare:
                check(loc, f"question {q.id!r} has no key points for stage(s) {', '.join(bare)}")
            point_refs = {f"{stage}.{kp.id}" for stage, kp in q.all_key_points()}
            for j, p in enumerate(q.penalties):
                bad = [ref for ref in p.unless_covered if ref not in point_refs]
                if bad:
                    check(("questions", i, "penalties", j, "unless_covered"),
                          f"question {q.id!r} penalty {p.id!r} names unknown key point(s) {bad}")
        self._detector_problems(known, check)
        return out

    def _detector_problems(self, stages: set[str],
                           check: Callable[[tuple[str | int, ...], str | None], None]) -> None:
        det_ids = [d.id for d in self.detectors]
        check(("detectors",), _unique("detector", det_ids))
        dims = {d.id for d in self.dimensions}
        if (self.detectors or self.mistakes) and self.detection is None:
            check(("detection",), "a rubric with detectors or mistakes needs a `detection:` block")
        for i, d in enumerate(self.detectors):
            check(("detectors", i, "stages"), _known(f"detector {d.id!r} stages", dict.fromkeys(d.stages), stages))
            check(("detectors", i, "feeds"), _known_ids(f"detector {d.id!r} feeds", d.feeds, dims, "dimension"))
        dets = set(det_ids)
        for i, q in enumerate(self.questions):
            check(("questions", i, "required_concepts"),
                  _known_ids(f"question {q.id!r} required_concepts", q.required_concepts, dets, "detector"))
            for j, p in enumerate(q.penalties):
                loc = ("questions", i, "penalties", j)
                check(loc + ("unless_detected",), _known_ids(
                    f"question {q.id!r} penalty {p.id!r} unless_detected", p.unless_detected, dets, "detector"))
                check(loc + ("applies_if",), _known_ids(
                    f"question {q.id!r} penalty {p.id!r} applies_if", p.applies_if, dets, "detector"))
                check(loc + ("dimensions",), _known_ids(
                    f"question {q.id!r} penalty {p.id!r} dimensions", p.dimensions or [], dims, "dimension"))
        check(("mistakes",), _unique("mistake", [m.id for m in self.mistakes]))
        qids = {q.id for q in self.questions}
        for k, m in enumerate(self.mistakes):
            anchors = [a for a in (m.early, m.late) if a is not None]
            loc = ("mistakes", k)
            check(loc, _known_ids(f"mistake {m.id!r} detectors", m.unless_detected + m.when_detected + m.applies_if + [
                d for a in anchors for d in a.detectors], dets, "detector"))
            check(loc, _known(f"mistake {m.id!r} stages", dict.fromkeys(s for a in anchors for s in a.stages),
                              stages))
            check(loc + ("questions",), _known_ids(f"mistake {m.id!r} questions", m.questions, qids, "question"))
            check(loc + ("dimensions",), _known_ids(f"mistake {m.id!r} dimensions", m.dimensions, dims,
                                                    "dimension"))

    @property
    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        if question_id == GENERIC_QUESTION_ID:
            return self.generic_question()
        raise KeyError(question_id)

    def generic_question(self) -> Question:
        """The rubric used when the question is unknown: every stage's generic points as its key points."""
        return Question(
            id=GENERIC_QUESTION_ID, title="Unknown question (generic stage rubric)", prompt="",
            key_points={s.id: [KeyPoint(id=f"{s.id}_{i + 1}", text=t) for i, t in enumerate(s.generic_texts())]
                        for s in self.stages})


#: Used by rubrics that have no `sections:` block (the default rubric spells every value out).
DEFAULT_SECTIONS = SectionsConfig(
    none_headings=["summary", "conclusion", "tl dr", "table of contents", "contents", "agenda", "outline",
                   "recap", "wrap up", "references", "appendix"],
    reference_headings=["references", "further reading", "read more", "reading list", "useful resources",
                        "learning resources", "bibliography", "citations", "related posts", "related articles",
                        "related reading", "useful links", "links", "papers", "paper list", "see also",
                        "acknowledgements", "参考", "参考文献", "参考资料", "论文"],
    none_points=["Thanks, that's an interesting problem to work on.",
                 "Let me walk through my approach step by step, in the usual order.",
                 "Can everyone hear me, is my audio working?",
                 "Okay, sounds good.",
                 "That's my design; I'm happy to go deeper on any part of it.",
                 "I think that covers everything I wanted to say."],
    max_sentence_words=40,
    inference=InferenceConfig(temperature=0.3, none_similarity=0.15, question_offset=0.2, forward=0.25, skip=0.5,
                              backward=1.5, to_none=1.0, from_none=1.0, block_switch=8.0, preamble_bonus=1.0,
                              cue_bonus=0.5, cue_words=5),
)


def _unique(what: str, ids: list[str]) -> str | None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            return f"duplicate {what} id {i!r}"
        seen.add(i)
    return None


def _known_ids(what: str, ids, known: set[str], kind: str) -> str | None:
    unknown = sorted(set(ids) - known)
    if unknown:
        return f"{what} name unknown {kind}(s) {unknown}; known: {', '.join(sorted(known))}"
    return None


def _known(what: str, keys: dict, known: set[str]) -> str | None:
    unknown = sorted(set(keys) - known)
    if unknown:
        return f"{what} name unknown stage(s) {unknown}; stages are {sorted(known)}"
    return None

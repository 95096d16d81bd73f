"""Compose the stages, one path for every answer: parse sections (headings, no embeddings) -> embed and
lemmatize (once for the batch: sentences, questions, key points, stage prototypes) -> question -> stage
inference -> detect -> substance -> coverage -> mistakes -> timing -> scores (`assess`) -> report, and, with a
calibration, grades on the human scale from features of that same assessment. `grader calibrate` fits on the
features `assess` gives (`featurize_answers`), so a calibration sees the numbers it was fitted on.

Nothing here reads files, prints or exits; failures of single answers are collected, not raised. Reading
answers from disk and the report cache live in `grader.run`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader import __version__
from grader.calibration.apply import Calibrator
from grader.calibration.features import answer_features, answer_vector
from grader.embedding.cache import EmbeddingCache, EmbeddingTable, embed_texts
from grader.embedding.model import Embedder
from grader.errors import GraderError
from grader.models import (
    NOT_EVIDENCE_ROLES, Answer, AnswerInfo, BatchResult, CalibrationConfig, CalibrationInfo, DetectorHit,
    DimensionScore, InputFailure, MistakeHit, Overall, Question, QuestionChoice, QuestionSource, Report, Rubric, RunConfig, SectionedAnswer,
    SectionReport, StageCoverage,
)
from grader.pipeline.coverage import compute_coverage
from grader.pipeline.detect import CompiledDetectors, Mention, compile_detectors, find_mentions, lemma_sentences
from grader.pipeline.detectors import LemmaSentence
from grader.pipeline.language import identify, language_flag
from grader.pipeline.mistakes import find_mistakes
from grader.pipeline.question import choose_question, question_texts, requested_question
from grader.pipeline.scoring import relevant_concepts, score_dimensions
from grader.pipeline.sections import split_sections
from grader.pipeline.stages import infer_stages, prototype_texts, stage_prototypes
from grader.pipeline.substance import assess_sentences, concept_hits
from grader.pipeline.timing import allocate_time
from grader.pipeline.verify import spec_fit, verifier_texts, verify

DECIMALS = 4
Request = tuple[str, QuestionSource] | None


@dataclass(frozen=True)
class Toolkit:
    """What is loaded once per process and shared by every answer: the sentencizer, the embedder, and the
    embedding cache behind it (built by `grader.run.toolkit.make_toolkit`)."""

    nlp: Any
    embedder: Embedder
    cache: EmbeddingCache | None = None


@dataclass(frozen=True)
class Assessment:
    """Everything the pipeline decided about one answer, before rounding into a report: the answer with every
    sentence's stage, the question, coverage, concept hits, flags, and the raw 0..1 scores."""

    sectioned: SectionedAnswer
    choice: QuestionChoice
    question: Question
    coverage: list[StageCoverage]
    hits: list[DetectorHit]
    flags: list[MistakeHit]
    dimensions: dict[str, float]
    overall: float


def config_hash(rubric: Rubric, embedder: Embedder, plan: str) -> str:
    blob = json.dumps({"grader": __version__, "rubric": rubric.model_dump(mode="json"),
                       "model": embedder.fingerprint, "time_plan": plan}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def time_plan(rubric: Rubric, config: RunConfig) -> str:
    plan = config.time_plan or rubric.default_time_plan
    if plan not in rubric.time_plans:
        raise GraderError(f"unknown time plan {plan!r}; the rubric has {', '.join(sorted(rubric.time_plans))}")
    return plan


def grade_answers(answers: Sequence[Answer], rubric: Rubric, config: RunConfig, tools: Toolkit, *,
                  progress: Callable[[Sequence[Any]], Any] | None = None,
                  calibrator: Calibrator | None = None) -> BatchResult:
    """Grade answers already read; an answer that cannot be graded becomes an `InputFailure`."""
    plan = time_plan(rubric, config)
    chash = config_hash(rubric, tools.embedder, plan)
    if not answers:
        return BatchResult(reports=[], failures=[])
    requests = [requested_question(a, config.question) for a in answers]
    sectioned, table = parse_and_embed(answers, rubric, tools, question_ids=named_questions(requests, rubric))
    lemmas = batch_lemmas(sectioned, tools.nlp)
    detectors = compile_detectors(rubric, tools.nlp)
    reports: list[Report] = []
    failures: list[InputFailure] = []
    items = list(zip(sectioned, lemmas, requests))
    for sa, lem, req in (progress(items) if progress else items):
        try:
            assessment = assess(sa, rubric, table, req, lemmas=lem, detectors=detectors)
            report = build_report(assessment, rubric, tools.embedder, chash, plan)
            if calibrator is not None:
                report = calibrated(report, assessment, rubric, table, calibrator)
            reports.append(report)
        except GraderError as exc:
            failures.append(InputFailure(path=sa.answer.path, message=str(exc)))
    return BatchResult(reports=sorted(reports, key=lambda r: r.answer.path),
                       failures=sorted(failures, key=lambda x: x.path))


def featurize_answers(answers: Sequence[Answer], question_ids: Sequence[str | None], rubric: Rubric,
                      tools: Toolkit, cfg: CalibrationConfig) -> list[tuple[str, dict[str, float] | None, np.ndarray]]:
    """Calibration inputs per answer, from the same `assess` as grading: (rubric question id, reference features,
    answer vector). `question_ids[i]` None: the question has no key points (vector only); "": detect the question
    from the text as `grade` does."""
    requests: list[Request] = [(q, "flag") if q else None for q in question_ids]
    sectioned, table = parse_and_embed(answers, rubric, tools)
    lemmas = batch_lemmas(sectioned, tools.nlp)
    detectors = compile_detectors(rubric, tools.nlp)
    out: list[tuple[str, dict[str, float] | None, np.ndarray]] = []
    for sa, lem, qid, req in zip(sectioned, lemmas, question_ids, requests):
        vector = answer_vector(sa, table)
        if qid is None:
            out.append(("", None, vector))
        elif not sa.sentences:  # nothing to assess: the features of an empty answer
            question = rubric.question(qid or rubric.questions[0].id)
            coverage = compute_coverage(sa, question, rubric.stage_ids, rubric.coverage, table)
            dims, overall = score_dimensions(coverage, rubric)
            empty = Assessment(sa, QuestionChoice(question_id=question.id, source="flag"), question, coverage, [], [],
                               dims, overall)
            out.append((question.id, features(empty, rubric, table, cfg, english_share(sa, rubric)), vector))
        else:
            a = assess(sa, rubric, table, req, lemmas=lem, detectors=detectors)
            out.append((a.question.id, features(a, rubric, table, cfg, english_share(sa, rubric)), vector))
    return out


def calibrated(report: Report, assessment: Assessment, rubric: Rubric, table: EmbeddingTable,
               calibrator: Calibrator) -> Report:
    """The report with `grade` filled on the human scale (and the unrounded values in `calibration`)."""
    sa = assessment.sectioned
    applied = calibrator.apply(assessment.question.id, sa.answer.text,
                               features(assessment, rubric, table, calibrator.cal.config,
                                        report.answer.english_share, calibrator.needed),
                               answer_vector(sa, table))
    scale = calibrator.cal.scale
    dims = dict(report.dimensions)
    overall = report.overall
    for name, a in applied.items():
        if name in dims:
            dims[name] = dims[name].model_copy(update={"grade": a.grade})
        if name == "overall" or (len(dims) == 1 and name in dims):
            overall = overall.model_copy(update={"grade": a.grade, "scale": scale.label})
    info = CalibrationInfo(config_hash=calibrator.cal.config_hash, dataset=str(calibrator.cal.dataset["name"]),
                           scale=scale.label, values={k: _r(a.value) for k, a in applied.items()},
                           variants={k: a.variant for k, a in applied.items()})
    return report.model_copy(update={"overall": overall, "dimensions": dims, "calibration": info})


def features(a: Assessment, rubric: Rubric, table: EmbeddingTable, cfg: CalibrationConfig,
             share: float, needed: frozenset[str] | None = None) -> dict[str, float]:
    """The calibration features of an assessment (grader.calibration.features.answer_features); `share` is
    the answer's English share as its report states it; `needed` the features a calibration reads."""
    return answer_features(a.sectioned, a.question, a.coverage, a.dimensions, a.overall, a.hits, share, rubric,
                           table, cfg, needed)


def english_share(sa: SectionedAnswer, rubric: Rubric) -> float:
    """The English share of an answer's text, rounded as its report states it."""
    return _r(identify(sa.answer.text, rubric.language)[1])


def named_questions(requests: Sequence[Request], rubric: Rubric) -> set[str] | None:
    """The questions the batch's answers name (by --question or front matter), or None when some answer's
    question must be detected (or is not in the rubric): then every question's texts are needed."""
    ids = {r[0] if r else None for r in requests}
    return ids if ids <= {q.id for q in rubric.questions} else None  # type: ignore[return-value]


def parse_and_embed(answers: Sequence[Answer], rubric: Rubric, tools: Toolkit,
                    question_ids: set[str] | None = None) -> tuple[list[SectionedAnswer], EmbeddingTable]:
    """Parse every answer (headings only, no embeddings), then encode everything the batch needs in one call:
    sentences, question texts, key points (of `question_ids`, else of every question), the stages' generic
    points and the none points. (A vector depends on its text alone, so the subset changes no score; it saves
    encoding ~300 rubric texts when one named answer is graded with a cold cache.)"""
    sectioned = split_sections(answers, rubric.stages, tools.nlp, rubric.sections)
    texts = [s.text for a in sectioned for s in a.sentences] + question_texts(rubric, question_ids) + \
        prototype_texts(rubric, question_ids) + verifier_texts(rubric)
    if rubric.detection is not None and rubric.detection.verifier is not None:
        texts += sorted({s.context for a in sectioned for s in a.sentences if s.context})
    try:
        return sectioned, embed_texts(texts, tools.embedder, tools.cache)
    except OSError as exc:
        if tools.cache is None:
            raise
        raise GraderError(f"cannot write the embedding cache: {exc.strerror or exc}", path=str(tools.cache.dir.parent),
                          hint="pass another --cache-dir, or --no-cache") from None


@dataclass(frozen=True)
class Lemmas:
    """One answer's sentences through spaCy, and each sentence's context (its nearest heading or list label;
    None without one)."""

    sentences: list[LemmaSentence]
    contexts: list[LemmaSentence | None]

    def __len__(self) -> int:
        return len(self.sentences)


def batch_lemmas(sectioned: Sequence[SectionedAnswer], nlp: Any) -> list[Lemmas]:
    """Every sentence and every distinct context heading of the batch through spaCy once, handed back per
    answer."""
    texts = [s.text for a in sectioned for s in a.sentences]
    heads = sorted({s.context for a in sectioned for s in a.sentences if s.context})
    done = lemma_sentences(texts + heads, nlp)
    by_head = dict(zip(heads, done[len(texts):]))
    lemmas = iter(done[:len(texts)])
    return [Lemmas([next(lemmas) for _ in a.sentences],
                   [by_head[s.context] if s.context else None for s in a.sentences]) for a in sectioned]


def context_concepts(lemmas: Lemmas, detectors: CompiledDetectors) -> list[frozenset[str]]:
    """Per sentence, the concepts its heading or list label names (not negated): a bullet under "Labels" or
    "Negative sampling" is read as being about that."""
    seen: dict[int, frozenset[str]] = {}
    out = []
    for ctx in lemmas.contexts:
        if ctx is None:
            out.append(frozenset())
            continue
        if id(ctx) not in seen:
            seen[id(ctx)] = frozenset(m.detector for m in find_mentions(ctx, detectors) if not m.negated)
        out.append(seen[id(ctx)])
    return out


def decide_stages(sa: SectionedAnswer, rubric: Rubric, table: EmbeddingTable,
                  requested: Request = None) -> tuple[SectionedAnswer, QuestionChoice, Question]:
    """The question (named, detected or the generic rubric) and every sentence's stage."""
    if not sa.sentences:
        raise GraderError("no prose to grade (only headings, code or markup)", path=sa.answer.path)
    choice = choose_question(sa, rubric, table, requested)
    question = rubric.question(choice.question_id)
    sa = infer_stages(sa, rubric.stages, stage_prototypes(rubric, question), rubric.sections.inference, table)
    return sa, choice, question


def assess(sa: SectionedAnswer, rubric: Rubric, table: EmbeddingTable, requested: Request, *,
           lemmas: Lemmas, detectors: CompiledDetectors) -> Assessment:
    """One answer through every stage after parsing: question, stages, detectors, substance, coverage,
    mistakes, scores."""
    sa, choice, question = decide_stages(sa, rubric, table, requested)
    if len(lemmas) != len(sa.sentences):
        raise RuntimeError("stage inference changed the sentence list")  # a bug, not bad input
    mentions = [find_mentions(s, detectors) for s in lemmas.sentences]
    quality, gaming = assess_sentences(sa, lemmas.sentences, mentions, table, rubric)
    coverage = compute_coverage(sa, question, rubric.stage_ids, rubric.coverage, table,
                                weights=[q.weight for q in quality])
    context = context_concepts(lemmas, detectors)
    kept, kept_context = verify(sa, mentions, context, [q.weak for q in quality], rubric, table)
    hits = concept_hits(sa, kept, quality, rubric, kept_context, spec_fit(sa, kept, kept_context, rubric, table))
    credit = {h.id: h.credit for h in hits}
    flags = find_mistakes(sa, question, rubric, hits, coverage, _first_hits(mentions, quality),
                          present=named_concepts(sa, mentions, context)) + gaming
    concepts = {c: credit.get(c, 0.0) for c in relevant_concepts(question)} if rubric.detectors else None
    dims, overall = score_dimensions(coverage, rubric, concepts=concepts, flags=flags)
    return Assessment(sa, choice, question, coverage, hits, flags, dims, overall)


def build_report(a: Assessment, rubric: Rubric, embedder: Embedder, chash: str, plan: str) -> Report:
    """The report of one assessment, every score rounded to `DECIMALS`, with the answer's language (named here,
    not in `assess`: calibration features never need it)."""
    sa, choice = a.sectioned, a.choice
    language, share = identify(sa.answer.text, rubric.language)
    flag = language_flag(language, share, rubric.language)  # after scoring: it deducts nothing
    return Report(
        grader_version=__version__,
        model=getattr(embedder, "label", embedder.model_id),
        config_hash=chash,
        answer=AnswerInfo(path=sa.answer.path, question_id=a.question.id, question_source=choice.source,
                          question_margin=_r(choice.margin), question_similarity=_r(choice.similarity),
                          question_guess=choice.guess, format=sa.answer.format,
                          words=len(sa.answer.text.split()), language=language,
                          english_share=_r(share)),
        overall=Overall(score=_r(a.overall)),
        dimensions={d.id: DimensionScore(score=_r(a.dimensions[d.id]), evidence=_evidence(a.coverage, d.stages))
                    for d in rubric.dimensions},
        sections=_sections(sa, a.coverage, rubric),
        detectors=[h.model_copy(update={"credit": _r(h.credit)}) for h in a.hits],
        time_allocation=allocate_time(sa, rubric, plan),
        mistakes=[f.model_copy(update={"deduction": _r(f.deduction)}) for f in a.flags] + ([flag] if flag else []),
    )


def named_concepts(sa: SectionedAnswer, mentions: Sequence[Sequence[Mention]],
                   context: Sequence[frozenset[str]]) -> frozenset[str]:
    """Every concept the answer names, not negated, anywhere but in references and captions, or in a heading
    over its text: what a "nothing about X" flag must not overlook."""
    out: set[str] = set()
    for s, ms, ctx in zip(sa.sentences, mentions, context):
        if s.role in NOT_EVIDENCE_ROLES:
            continue
        out.update(m.detector for m in ms if not m.negated)
        out.update(ctx)
    return frozenset(out)


def _first_hits(mentions: Sequence[Sequence[Mention]], quality: Sequence[Any]) -> dict[str, int]:
    """Detector id -> index of the first sentence with a substantive, non-negated mention."""
    firsts: dict[str, int] = {}
    for i, (ms, q) in enumerate(zip(mentions, quality)):
        if q.weak:
            continue
        for m in ms:
            if not m.negated:
                firsts.setdefault(m.detector, i)
    return firsts


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), DECIMALS) + 0.0


def _evidence(coverage: list[StageCoverage], stages: dict[str, float], limit: int = 3) -> list[str]:
    hits = sorted(((p.credit, p.evidence) for c in coverage if c.stage in stages for p in c.points
                   if p.matched and p.evidence), key=lambda x: (-x[0], x[1]))
    out: list[str] = []
    for _, text in hits:
        if text not in out:
            out.append(text)
        if len(out) == limit:
            break
    return out


def _sections(sa: SectionedAnswer, coverage: list[StageCoverage], rubric: Rubric) -> list[SectionReport]:
    """One entry per stage: its heading (if a heading named it), how its sentences were assigned, the spans
    of its runs of consecutive sentences, words, the mean confidence, and coverage."""
    by_stage = {c.stage: c for c in coverage}
    out = []
    for stage in rubric.stage_ids:
        idx = [i for i, s in enumerate(sa.sentences) if s.stage == stage]
        sents = [sa.sentences[i] for i in idx]
        named = [s.heading for s in sents if s.heading and stage in s.candidates]
        empty_heading = [h for h, st in sa.headings if st == stage]
        heading = named[0] if named else (empty_heading[0] if empty_heading and not sents else None)
        if any(s.method == "heading" for s in sents) or (heading and not sents):
            method = "heading"
        else:
            method = "inferred" if sents else "absent"
        cov = by_stage.get(stage)
        points = cov.points if cov else []
        out.append(SectionReport(
            stage=stage,
            heading=heading,
            method=method,
            confidence=_r(sum(s.confidence or 0.0 for s in sents) / len(sents)) if sents else None,
            start=min((s.start for s in sents), default=None),
            end=max((s.end for s in sents), default=None),
            spans=_runs(idx, sa),
            words=sum(len(s.text.split()) for s in sents),
            coverage=_r(cov.coverage if cov else 0.0),
            matched_points=[p.text for p in points if p.matched],
            missing_points=[p.text for p in points if not p.matched],
        ))
    return out


def _runs(idx: list[int], sa: SectionedAnswer) -> list[tuple[int, int]]:
    """(start, end) of each run of consecutive sentence indices."""
    spans: list[tuple[int, int]] = []
    for k, i in enumerate(idx):
        if k and i == idx[k - 1] + 1:
            spans[-1] = (spans[-1][0], sa.sentences[i].end)
        else:
            spans.append((sa.sentences[i].start, sa.sentences[i].end))
    return spans

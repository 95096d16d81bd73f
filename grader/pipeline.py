"""Compose the stages: read -> parse sections (headings, no embeddings) -> embed and lemmatize (once for the
batch: sentences, questions, key points, stage prototypes) -> question -> stage inference -> detect -> substance
-> coverage -> mistakes -> timing -> scores -> report. Nothing here prints or exits; failures of single answers
are collected, not raised."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import __version__
from grader.coverage import compute_coverage
from grader.detect import CompiledDetectors, Mention, compile_detectors, concept_hits, find_mentions, lemma_sentences
from grader.detectors import LemmaSentence
from grader.embed import Embedder, EmbeddingCache, EmbeddingTable, embed_texts
from grader.errors import GraderError
from grader.ingest import display_name, expand_paths, read_answer
from grader.models import (
    Answer, AnswerInfo, BatchResult, DimensionScore, InputFailure, Overall, Question, QuestionChoice, Report,
    Rubric, RunConfig, SectionedAnswer, SectionReport, StageCoverage,
)
from grader.mistakes import find_mistakes
from grader.question import choose_question, question_texts
from grader.result_cache import ResultCache
from grader.scoring import relevant_concepts, score_dimensions
from grader.sections import split_sections
from grader.stages import infer_stages, prototype_texts, stage_prototypes
from grader.substance import assess_sentences
from grader.timing import allocate_time

if TYPE_CHECKING:
    from grader.calibration import Calibrator
    from grader.models import CalibrationConfig

DECIMALS = 4


@dataclass
class Toolkit:
    """What is loaded once per process and shared by every answer: the sentencizer, the embedder, the cache."""

    nlp: Any
    embedder: Embedder
    cache: EmbeddingCache | None = None
    results: ResultCache | None = None  # graded reports, for reruns on unchanged answers


def config_hash(rubric: Rubric, embedder: Embedder, plan: str) -> str:
    blob = json.dumps({"grader": __version__, "rubric": rubric.model_dump(mode="json"),
                       "model": embedder.fingerprint, "time_plan": plan}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def grade_paths(paths: Sequence[str], rubric: Rubric, config: RunConfig, tools: Toolkit,
                progress: Callable[[Sequence[Any]], Any] | None = None,
                calibrator: Calibrator | None = None) -> BatchResult:
    """Grade every answer that `paths` names; unreadable ones become `InputFailure`s."""
    files, errors = expand_paths(list(paths), exclude=config.out_dir)
    failures = [InputFailure(path=e.path or "", message=str(e)) for e in errors]
    answers: list[Answer] = []
    for f in files:
        try:
            answers.append(read_answer(f, max_bytes=config.max_bytes))
        except GraderError as exc:
            failures.append(InputFailure(path=display_name(f), message=str(exc)))
    result = grade_answers(answers, rubric, config, tools, progress=progress, calibrator=calibrator)
    return BatchResult(reports=result.reports,
                       failures=sorted(failures + result.failures, key=lambda x: x.path))


def grade_answers(answers: Sequence[Answer], rubric: Rubric, config: RunConfig, tools: Toolkit,
                  progress: Callable[[Sequence[Any]], Any] | None = None,
                  calibrator: Calibrator | None = None) -> BatchResult:
    plan = config.time_plan or rubric.default_time_plan
    if plan not in rubric.time_plans:
        raise GraderError(f"unknown time plan {plan!r}; the rubric has {', '.join(sorted(rubric.time_plans))}")
    chash = config_hash(rubric, tools.embedder, plan)
    results = tools.results if calibrator is None else None
    keys = {a.path: results.key(a, chash, config.question) for a in answers} if results else {}
    reports: list[Report] = []
    todo: list[Answer] = []
    for a in answers:
        cached = results.load(keys[a.path]) if results else None
        if cached is not None:
            reports.append(cached)
        else:
            todo.append(a)
    failures: list[InputFailure] = []
    if not todo:  # every report came from the cache
        return BatchResult(reports=sorted(reports, key=lambda r: r.answer.path), failures=[])
    sectioned, table = parse_and_embed(todo, rubric, tools, question_ids=named_questions(todo, rubric, config))
    detectors = compile_detectors(rubric, tools.nlp)
    lemmas = iter(lemma_sentences([s.text for a in sectioned for s in a.sentences], tools.nlp))
    per_answer = [[next(lemmas) for _ in a.sentences] for a in sectioned]
    for sa, lem in (progress(list(zip(sectioned, per_answer))) if progress else zip(sectioned, per_answer)):
        try:
            report = grade_sectioned(sa, rubric, config, table, tools.embedder, chash, plan,
                                     lemmas=lem, detectors=detectors)
            if calibrator is not None:
                report = _calibrated(report, sa, rubric, table, calibrator)
            elif results is not None:
                results.store(keys[sa.answer.path], report)
            reports.append(report)
        except GraderError as exc:
            failures.append(InputFailure(path=sa.answer.path, message=str(exc)))
    return BatchResult(reports=sorted(reports, key=lambda r: r.answer.path),
                       failures=sorted(failures, key=lambda x: x.path))


def featurize_answers(answers: Sequence[Answer], question_ids: Sequence[str | None], rubric: Rubric,
                      tools: Toolkit, cfg: CalibrationConfig) -> list[tuple[str, dict[str, float] | None, np.ndarray]]:
    """Calibration inputs per answer, through the same stages as grading: (rubric question id, reference
    features, answer vector). `question_ids[i]` None: the question has no key points (vector only); "": detect
    the question from the text as `grade` does."""
    from grader.calibration import answer_features, answer_vector

    sectioned, table = parse_and_embed(answers, rubric, tools)
    out: list[tuple[str, dict[str, float] | None, np.ndarray]] = []
    for sa, qid in zip(sectioned, question_ids):
        vector = answer_vector(sa, table)
        if qid is None:
            out.append(("", None, vector))
            continue
        if not qid:
            qid = choose_question(sa, rubric, table).question_id if sa.sentences else rubric.questions[0].id
        out.append((qid, answer_features(sa, rubric.question(qid), rubric, table, cfg), vector))
    return out


def _calibrated(report: Report, sa: SectionedAnswer, rubric: Rubric, table: EmbeddingTable,
                calibrator: Calibrator) -> Report:
    """The report with `grade` filled on the human scale (and the unrounded values in `calibration`)."""
    from grader.calibration import answer_features, answer_vector
    from grader.models import CalibrationInfo

    question = rubric.question(report.answer.question_id)
    applied = calibrator.apply(question.id, sa.answer.text,
                               answer_features(sa, question, rubric, table, calibrator.cal.config),
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


def named_questions(answers: Sequence[Answer], rubric: Rubric, config: RunConfig) -> set[str] | None:
    """The questions the batch's answers name (by --question or front matter), or None when some answer's
    question must be detected (or is not in the rubric): then every question's texts are needed."""
    ids = {config.question or a.front_matter.get("question") for a in answers}
    return ids if ids <= {q.id for q in rubric.questions} else None  # type: ignore[return-value]


def parse_and_embed(answers: Sequence[Answer], rubric: Rubric, tools: Toolkit,
                    question_ids: set[str] | None = None) -> tuple[list[SectionedAnswer], EmbeddingTable]:
    """Parse every answer (headings only, no embeddings), then encode everything the batch needs in one call:
    sentences, question texts, key points (of `question_ids`, else of every question), the stages' generic
    points and the none points. (A vector depends on its text alone, so the subset changes no score; it saves
    encoding ~300 rubric texts when one named answer is graded with a cold cache.)"""
    sectioned = split_sections(answers, rubric.stages, tools.nlp, rubric.sections)
    texts = [s.text for a in sectioned for s in a.sentences] + question_texts(rubric, question_ids) + \
        prototype_texts(rubric, question_ids)
    try:
        return sectioned, embed_texts(texts, tools.embedder, tools.cache)
    except OSError as exc:
        if tools.cache is None:
            raise
        raise GraderError(f"cannot write the embedding cache: {exc.strerror or exc}", path=str(tools.cache.dir.parent),
                          hint="pass another --cache-dir, or --no-cache") from None


def decide_stages(sa: SectionedAnswer, rubric: Rubric, table: EmbeddingTable,
                  flag: str | None = None) -> tuple[SectionedAnswer, QuestionChoice, Question]:
    """The question (flag, front matter, detection or the generic rubric) and every sentence's stage."""
    if not sa.sentences:
        raise GraderError("no prose to grade (only headings, code or markup)", path=sa.answer.path)
    choice = choose_question(sa, rubric, table, flag)
    question = rubric.question(choice.question_id)
    sa = infer_stages(sa, rubric.stages, stage_prototypes(rubric, question), rubric.sections.inference, table)
    return sa, choice, question


def grade_sectioned(sa: SectionedAnswer, rubric: Rubric, config: RunConfig, table: EmbeddingTable,
                    embedder: Embedder, chash: str, plan: str, *, lemmas: Sequence[LemmaSentence],
                    detectors: CompiledDetectors) -> Report:
    sa, choice, question = decide_stages(sa, rubric, table, config.question)
    if len(lemmas) != len(sa.sentences):
        raise RuntimeError("stage inference changed the sentence list")  # a bug, not bad input
    mentions = [find_mentions(s, detectors) for s in lemmas]
    quality, gaming = assess_sentences(sa, lemmas, mentions, table, rubric)
    coverage = compute_coverage(sa, question, rubric.stage_ids, rubric.coverage, table,
                                weights=[q.weight for q in quality])
    hits = concept_hits(sa, mentions, quality, rubric)
    credit = {h.id: h.credit for h in hits}
    flags = find_mistakes(sa, question, rubric, hits, coverage, _first_hits(mentions, quality)) + gaming
    concepts = {c: credit.get(c, 0.0) for c in relevant_concepts(question)} if rubric.detectors else None
    dims, overall = score_dimensions(coverage, rubric, concepts=concepts, flags=flags)
    return Report(
        grader_version=__version__,
        model=getattr(embedder, "label", embedder.model_id),
        config_hash=chash,
        answer=AnswerInfo(path=sa.answer.path, question_id=question.id, question_source=choice.source,
                          question_margin=_r(choice.margin), question_similarity=_r(choice.similarity),
                          question_guess=choice.guess, format=sa.answer.format,
                          words=len(sa.answer.text.split())),
        overall=Overall(score=_r(overall)),
        dimensions={d.id: DimensionScore(score=_r(dims[d.id]), evidence=_evidence(coverage, d.stages))
                    for d in rubric.dimensions},
        sections=_sections(sa, coverage, rubric),
        detectors=[h.model_copy(update={"credit": _r(h.credit)}) for h in hits],
        time_allocation=allocate_time(sa, rubric, plan),
        mistakes=[f.model_copy(update={"deduction": _r(f.deduction)}) for f in flags],
    )


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

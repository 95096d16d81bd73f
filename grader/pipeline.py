"""Compose the stages: read -> sections -> embed (once for the batch) -> question -> coverage -> timing ->
scores -> report. Nothing here prints or exits; failures of single answers are collected, not raised."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import __version__
from grader.coverage import compute_coverage
from grader.embed import Embedder, EmbeddingCache, EmbeddingTable, embed_texts
from grader.errors import GraderError
from grader.ingest import expand_paths, read_answer
from grader.models import (
    Answer, AnswerInfo, BatchResult, DimensionScore, InputFailure, Overall, Report, Rubric, RunConfig,
    SectionedAnswer, SectionReport, StageCoverage,
)
from grader.question import choose_question, question_texts
from grader.scoring import score_dimensions
from grader.sections import split_sections
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


def config_hash(rubric: Rubric, embedder: Embedder, plan: str) -> str:
    blob = json.dumps({"grader": __version__, "rubric": rubric.model_dump(mode="json"),
                       "model": embedder.fingerprint, "time_plan": plan}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def grade_paths(paths: Sequence[str], rubric: Rubric, config: RunConfig, tools: Toolkit,
                progress: Callable[[Sequence[Any]], Any] | None = None,
                calibrator: Calibrator | None = None) -> BatchResult:
    """Grade every answer that `paths` names; unreadable ones become `InputFailure`s."""
    files, errors = expand_paths(list(paths))
    failures = [InputFailure(path=e.path or "", message=str(e)) for e in errors]
    answers: list[Answer] = []
    for f in files:
        try:
            answers.append(read_answer(f, max_bytes=config.max_bytes))
        except GraderError as exc:
            failures.append(InputFailure(path=f.as_posix(), message=str(exc)))
    result = grade_answers(answers, rubric, config, tools, progress=progress, calibrator=calibrator)
    return BatchResult(reports=result.reports,
                       failures=sorted(failures + result.failures, key=lambda x: x.path))


def grade_answers(answers: Sequence[Answer], rubric: Rubric, config: RunConfig, tools: Toolkit,
                  progress: Callable[[Sequence[Any]], Any] | None = None,
                  calibrator: Calibrator | None = None) -> BatchResult:
    plan = config.time_plan or rubric.default_time_plan
    if plan not in rubric.time_plans:
        raise GraderError(f"unknown time plan {plan!r}; the rubric has {', '.join(sorted(rubric.time_plans))}")
    sectioned, table = _sections_and_table(answers, rubric, tools)
    chash = config_hash(rubric, tools.embedder, plan)
    reports: list[Report] = []
    failures: list[InputFailure] = []
    for sa in (progress(sectioned) if progress else sectioned):
        try:
            report = grade_sectioned(sa, rubric, config, table, tools.embedder, chash, plan)
            if calibrator is not None:
                report = _calibrated(report, sa, rubric, table, calibrator)
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

    sectioned, table = _sections_and_table(answers, rubric, tools)
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


def _sections_and_table(answers: Sequence[Answer], rubric: Rubric,
                        tools: Toolkit) -> tuple[list[SectionedAnswer], EmbeddingTable]:
    """Sentences with stages, and one embedding pass over everything the batch needs."""
    sectioned = split_sections(answers, rubric.stages, tools.nlp)
    texts = [s.text for a in sectioned for s in a.sentences] + question_texts(rubric) + [
        kp.text for q in rubric.questions for _, kp in q.all_key_points()]
    return sectioned, embed_texts(texts, tools.embedder, tools.cache)


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


def grade_sectioned(sa: SectionedAnswer, rubric: Rubric, config: RunConfig, table: EmbeddingTable,
                    embedder: Embedder, chash: str, plan: str) -> Report:
    if not sa.sentences:
        raise GraderError("no prose to grade (only headings, code or markup)", path=sa.answer.path)
    choice = choose_question(sa, rubric, table, config.question)
    question = rubric.question(choice.question_id)
    coverage = compute_coverage(sa, question, rubric.stage_ids, rubric.coverage, table)
    dims, overall = score_dimensions(coverage, rubric)
    return Report(
        grader_version=__version__,
        model=getattr(embedder, "label", embedder.model_id),
        config_hash=chash,
        answer=AnswerInfo(path=sa.answer.path, question_id=question.id, question_source=choice.source,
                          question_margin=_r(choice.margin), words=len(sa.answer.text.split())),
        overall=Overall(score=_r(overall)),
        dimensions={d.id: DimensionScore(score=_r(dims[d.id]), evidence=_evidence(coverage, d.stages))
                    for d in rubric.dimensions},
        sections=_sections(sa, coverage, rubric),
        detectors=[],
        time_allocation=allocate_time(sa, rubric, plan),
        mistakes=[],
    )


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
    by_stage = {c.stage: c for c in coverage}
    out = []
    for stage in rubric.stage_ids:
        sents = [s for s in sa.sentences if s.stage == stage]
        headed = [h for h, st in sa.headings if st == stage]
        cov = by_stage.get(stage)
        points = cov.points if cov else []
        out.append(SectionReport(
            stage=stage,
            heading=headed[0] if headed else None,
            method="heading" if headed else "absent",
            start=min((s.start for s in sents), default=None),
            end=max((s.end for s in sents), default=None),
            words=sum(len(s.text.split()) for s in sents),
            coverage=_r(cov.coverage if cov else 0.0),
            matched_points=[p.text for p in points if p.matched],
            missing_points=[p.text for p in points if not p.matched],
        ))
    return out


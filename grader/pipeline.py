"""Compose the stages: read -> sections -> embed and lemmatize (once for the batch) -> question -> detect ->
substance -> coverage -> mistakes -> timing -> scores -> report. Nothing here prints or exits; failures of
single answers are collected, not raised."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from grader import __version__
from grader.coverage import compute_coverage
from grader.detect import CompiledDetectors, Mention, compile_detectors, concept_hits, find_mentions, lemma_sentences
from grader.embed import Embedder, EmbeddingCache, EmbeddingTable, embed_texts
from grader.detectors import LemmaSentence
from grader.errors import GraderError
from grader.ingest import expand_paths, read_answer
from grader.models import (
    Answer, AnswerInfo, BatchResult, DimensionScore, InputFailure, Overall, Report, Rubric, RunConfig,
    SectionedAnswer, SectionReport, StageCoverage,
)
from grader.mistakes import find_mistakes
from grader.question import choose_question, question_texts
from grader.scoring import relevant_concepts, score_dimensions
from grader.sections import split_sections
from grader.substance import assess_sentences
from grader.timing import allocate_time

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
                progress: Callable[[Sequence[Any]], Any] | None = None) -> BatchResult:
    """Grade every answer that `paths` names; unreadable ones become `InputFailure`s."""
    files, errors = expand_paths(list(paths))
    failures = [InputFailure(path=e.path or "", message=str(e)) for e in errors]
    answers: list[Answer] = []
    for f in files:
        try:
            answers.append(read_answer(f, max_bytes=config.max_bytes))
        except GraderError as exc:
            failures.append(InputFailure(path=f.as_posix(), message=str(exc)))
    result = grade_answers(answers, rubric, config, tools, progress=progress)
    return BatchResult(reports=result.reports,
                       failures=sorted(failures + result.failures, key=lambda x: x.path))


def grade_answers(answers: Sequence[Answer], rubric: Rubric, config: RunConfig, tools: Toolkit,
                  progress: Callable[[Sequence[Any]], Any] | None = None) -> BatchResult:
    plan = config.time_plan or rubric.default_time_plan
    if plan not in rubric.time_plans:
        raise GraderError(f"unknown time plan {plan!r}; the rubric has {', '.join(sorted(rubric.time_plans))}")
    sectioned = split_sections(answers, rubric.stages, tools.nlp)
    texts = [s.text for a in sectioned for s in a.sentences] + question_texts(rubric) + [
        kp.text for q in rubric.questions for _, kp in q.all_key_points()]
    table = embed_texts(texts, tools.embedder, tools.cache)
    detectors = compile_detectors(rubric, tools.nlp)
    lemmas = iter(lemma_sentences([s.text for a in sectioned for s in a.sentences], tools.nlp))
    per_answer = [[next(lemmas) for _ in a.sentences] for a in sectioned]
    chash = config_hash(rubric, tools.embedder, plan)
    reports: list[Report] = []
    failures: list[InputFailure] = []
    for sa, lem in (progress(list(zip(sectioned, per_answer))) if progress else zip(sectioned, per_answer)):
        try:
            reports.append(grade_sectioned(sa, rubric, config, table, tools.embedder, chash, plan,
                                           lemmas=lem, detectors=detectors))
        except GraderError as exc:
            failures.append(InputFailure(path=sa.answer.path, message=str(exc)))
    return BatchResult(reports=sorted(reports, key=lambda r: r.answer.path),
                       failures=sorted(failures, key=lambda x: x.path))


def grade_sectioned(sa: SectionedAnswer, rubric: Rubric, config: RunConfig, table: EmbeddingTable,
                    embedder: Embedder, chash: str, plan: str, *, lemmas: Sequence[LemmaSentence],
                    detectors: CompiledDetectors) -> Report:
    if not sa.sentences:
        raise GraderError("no prose to grade (only headings, code or markup)", path=sa.answer.path)
    choice = choose_question(sa, rubric, table, config.question)
    question = rubric.question(choice.question_id)
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
                          question_margin=_r(choice.margin), words=len(sa.answer.text.split())),
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


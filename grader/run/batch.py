"""A batch from paths: read every answer the paths name, serve unchanged answers from the report cache, grade
the rest with the pipeline, store what was graded. The file I/O around the pure pipeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from grader.calibration.apply import Calibrator
from grader.errors import GraderError
from grader.inputs.answers import display_name, expand_paths, read_answer
from grader.models import Answer, BatchResult, InputFailure, Report, Rubric, RunConfig
from grader.pipeline.grade import Toolkit, config_hash, grade_answers, time_plan
from grader.run.result_cache import ResultCache


def grade_paths(paths: Sequence[str], rubric: Rubric, config: RunConfig, tools: Toolkit, *,
                results: ResultCache | None = None, progress: Callable[[Sequence[Any]], Any] | None = None,
                calibrator: Calibrator | None = None) -> BatchResult:
    """Grade every answer that `paths` names; unreadable ones become `InputFailure`s, what the readers skipped
    `InputWarning`s (also for answers served from the cache). With `results`, a report already graded for the
    same answer, configuration, calibration and code is read back instead."""
    files, errors = expand_paths(list(paths), exclude=config.out_dir)
    failures = [InputFailure(path=e.path or "", message=str(e)) for e in errors]
    answers: list[Answer] = []
    for f in files:
        try:
            answers.append(read_answer(f, max_bytes=config.max_bytes))
        except GraderError as exc:
            failures.append(InputFailure(path=display_name(f), message=str(exc)))
    reports: list[Report] = []
    todo = answers
    keys: dict[str, str] = {}
    if results is not None:
        chash = config_hash(rubric, tools.embedder, time_plan(rubric, config)) + \
            (f"|{calibrator.fingerprint}" if calibrator is not None else "")
        keys = {a.path: results.key(a, chash, config.question) for a in answers}
        cached = {a.path: results.load(keys[a.path]) for a in answers}
        reports = [r for r in cached.values() if r is not None]
        todo = [a for a in answers if cached[a.path] is None]
    result = grade_answers(todo, rubric, config, tools, progress=progress, calibrator=calibrator)
    if results is not None:
        for report in result.reports:
            results.store(keys[report.answer.path], report)
    return BatchResult(reports=sorted(reports + result.reports, key=lambda r: r.answer.path),
                       failures=sorted(failures + result.failures, key=lambda x: x.path),
                       warnings=sorted((w for a in answers for w in a.warnings), key=lambda w: (w.path, w.line)))

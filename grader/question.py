"""Which rubric question an answer answers: the flag, else front matter, else the most similar question."""

from __future__ import annotations

import numpy as np

from grader.embed import EmbeddingTable
from grader.errors import GraderError
from grader.models import QuestionChoice, Rubric, SectionedAnswer


def question_texts(rubric: Rubric) -> list[str]:
    return [t for q in rubric.questions for t in (q.title, q.prompt, *q.aliases)]


def choose_question(answer: SectionedAnswer, rubric: Rubric, table: EmbeddingTable,
                    flag: str | None = None) -> QuestionChoice:
    known = [q.id for q in rubric.questions]
    for qid, source in ((flag, "flag"), (answer.answer.front_matter.get("question"), "front_matter")):
        if qid is not None:
            if qid not in known:
                raise GraderError(f"unknown question id {qid!r} (from {source.replace('_', ' ')}); "
                                  f"the rubric has {', '.join(known)}", path=answer.answer.path)
            return QuestionChoice(question_id=qid, source=source)
    if len(known) == 1:
        return QuestionChoice(question_id=known[0], source="detected", similarity=None, margin=None)
    centroid = table.matrix([s.text for s in answer.sentences]).mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    scores = [float(np.max(table.matrix([q.title, q.prompt, *q.aliases]) @ centroid)) for q in rubric.questions]
    order = np.argsort(scores, kind="stable")[::-1]
    best, second = scores[order[0]], scores[order[1]]
    return QuestionChoice(question_id=known[order[0]], source="detected", similarity=best, margin=best - second)

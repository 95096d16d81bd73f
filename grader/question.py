"""Which rubric question an answer answers: the flag, else front matter, else the most similar question.

Detection compares the centroid of the answer's sentences with each question's title, prompt and aliases (the
best of them). When the best similarity is under the rubric's `question_detection.min_similarity`, or its
margin over the runner-up under `min_margin`, the question is reported `unknown` and the answer is graded with
the generic stage rubric (`Rubric.generic_question`); the closest question is still reported as the guess.
"""

from __future__ import annotations

import numpy as np

from grader.embed import EmbeddingTable
from grader.errors import GraderError
from grader.models import GENERIC_QUESTION_ID, QuestionChoice, Rubric, SectionedAnswer


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
    cfg = rubric.question_detection
    guess = known[order[0]]
    if best < cfg.min_similarity or best - second < cfg.min_margin:
        return QuestionChoice(question_id=GENERIC_QUESTION_ID, source="unknown", similarity=best,
                              margin=best - second, guess=guess)
    return QuestionChoice(question_id=guess, source="detected", similarity=best, margin=best - second)

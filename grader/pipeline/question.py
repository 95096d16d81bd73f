"""Which rubric question an answer answers: the flag, else front matter, else its title, else the most similar
question.

The title (front matter `title:`, else the answer's first heading) names a question when it contains one of that
question's title or aliases ("News Feed" -> feed ranking, "Chat Spam Classifier" -> content moderation) and no
other question's; where two phrases overlap the longer wins ("news recommendation" over "recommendation").
Real write-ups are titled by their topic far more reliably than their wording matches our key points (on the
development write-ups, coverage alone matched 14 of 32).

Detection scores each question by how well the answer covers its key points: the mean, over the question's
key points, of the best cosine similarity to any answer sentence. (Measured on the 76 answers we have, with
their front matter ignored: this picks the right question for all 76, where comparing the answer's centroid
with the question's title, prompt and aliases picked 72; ranking questions such as video recommendations and
feed ranking share most of their wording, not their key points.) When the best score is under the rubric's `question_detection.min_similarity`, or its
margin over the runner-up under `min_margin`, the question is reported `unknown` and the answer is graded with
the generic stage rubric (`Rubric.generic_question`); the closest question is still reported as the guess.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from grader.embedding.cache import EmbeddingTable
from grader.errors import GraderError
from grader.models import GENERIC_QUESTION_ID, Answer, QuestionChoice, QuestionSource, Rubric, SectionedAnswer
from grader.pipeline.sections import phrase_spans


def question_texts(rubric: Rubric, ids: Collection[str] | None = None) -> list[str]:
    """Titles, prompts and aliases of the rubric's questions (of those in `ids`, when given)."""
    return [t for q in rubric.questions if ids is None or q.id in ids for t in (q.title, q.prompt, *q.aliases)]


def requested_question(answer: Answer, flag: str | None) -> tuple[str, QuestionSource] | None:
    """The question an answer is graded against when it is named: the `--question` flag, else the answer's front
    matter (`question: q05`); None when it must be detected. Read once per answer, here only.

    >>> from grader.models import Answer
    >>> a = Answer(path="a.md", text="...", format="markdown", front_matter={"question": "q05"})
    >>> requested_question(a, "q01"), requested_question(a, None)
    (('q01', 'flag'), ('q05', 'front_matter'))
    """
    if flag is not None:
        return flag, "flag"
    named = answer.front_matter.get("question")
    return (named, "front_matter") if named is not None else None


def choose_question(answer: SectionedAnswer, rubric: Rubric, table: EmbeddingTable,
                    requested: tuple[str, QuestionSource] | None = None) -> QuestionChoice:
    """The named question (`requested_question`), else the best-covered rubric question, else the generic one."""
    known = [q.id for q in rubric.questions]
    if requested is not None:
        qid, source = requested
        if qid not in known:
            raise GraderError(f"unknown question id {qid!r} (from {source.replace('_', ' ')}); "
                              f"the rubric has {', '.join(known)}", path=answer.answer.path)
        return QuestionChoice(question_id=qid, source=source)
    if len(known) == 1:
        return QuestionChoice(question_id=known[0], source="detected", similarity=None, margin=None)
    sents = table.matrix([s.text for s in answer.sentences])
    scores = [float((table.matrix([kp.text for _, kp in q.all_key_points()]) @ sents.T).max(axis=1).mean())
              for q in rubric.questions]
    titled = question_of_title(answer_title(answer), rubric)
    if titled is not None:  # similarity and margin still say how well the text matches it
        i = known.index(titled)
        rest = max(s for j, s in enumerate(scores) if j != i)
        return QuestionChoice(question_id=titled, source="title", similarity=scores[i], margin=scores[i] - rest)
    order = np.argsort(scores, kind="stable")[::-1]
    best, second = scores[order[0]], scores[order[1]]
    cfg = rubric.question_detection
    guess = known[order[0]]
    if best < cfg.min_similarity or best - second < cfg.min_margin:
        return QuestionChoice(question_id=GENERIC_QUESTION_ID, source="unknown", similarity=best,
                              margin=best - second, guess=guess)
    return QuestionChoice(question_id=guess, source="detected", similarity=best, margin=best - second)


def answer_title(answer: SectionedAnswer) -> str | None:
    """Front matter `title:`, else the first heading of the answer, else None."""
    title = answer.answer.front_matter.get("title")
    if title:
        return title
    return answer.headings[0][0] if answer.headings else None


def question_of_title(title: str | None, rubric: Rubric) -> str | None:
    """The one question whose title or an alias the title contains (plural "s" tolerated); longer phrases
    shadow the shorter ones they contain; None when no question or several are named."""
    if not title:
        return None
    owners = [q.id for q in rubric.questions for _ in (q.title, *q.aliases)]
    found = phrase_spans(title, [p for q in rubric.questions for p in (q.title, *q.aliases)])
    kept = [f for f in found if not any(g[0] <= f[0] and f[1] <= g[1] and g[1] - g[0] > f[1] - f[0] for g in found)]
    ids = {owners[k] for _, _, k in kept}
    return ids.pop() if len(ids) == 1 else None

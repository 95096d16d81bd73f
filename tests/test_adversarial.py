"""Gaming cannot beat a genuine weak answer: a keyword list, a glossary, key terms shuffled into nonsense and
a repeated paragraph each score overall no higher than the weak answer (human grade 1) to the same question.
The answers are in tests/data/adversarial/ (written for this project); the weak ones in datasets/."""

from pathlib import Path

import pytest

from grader.models import RunConfig
from grader.pipeline.grade import Toolkit
from grader.run.batch import grade_paths

from helpers import DATA, ROOT

ADV = DATA / "adversarial"
KINDS = {"keyword_list": "keyword_list", "glossary": "glossary", "shuffled": "keyword_stuffing",
         "repeated": "repetition"}


def _grade(paths, rubric, nlp, embedder):
    result = grade_paths([str(p) for p in paths], rubric, RunConfig(), Toolkit(nlp=nlp, embedder=embedder))
    assert not result.failures
    return {Path(r.answer.path).stem: r for r in result.reports}


def test_every_gaming_kind_is_flagged(default_rubric, nlp, hashing):
    reports = _grade(sorted(ADV.glob("*.md")), default_rubric, nlp, hashing)
    assert len(reports) == 8
    for stem, r in reports.items():
        flag = KINDS[stem.split("_", 1)[1]]
        gaming = [m for m in r.mistakes if m.source == "gaming"]
        assert [m.id for m in gaming] == [flag], (stem, [m.id for m in r.mistakes])
        assert gaming[0].deduction > 0 and gaming[0].evidence


def test_bare_list_mentions_earn_a_small_fraction_and_no_hit(default_rubric, nlp, hashing):
    r = _grade([ADV / "q05_keyword_list.md"], default_rubric, nlp, hashing)["q05_keyword_list"]
    assert r.detectors and not any(h.hit for h in r.detectors)
    assert max(h.credit for h in r.detectors) <= default_rubric.detection.weak_credit


@pytest.mark.slow
def test_gamed_answers_score_no_higher_than_a_genuine_weak_answer(default_rubric, nlp, real_embedder):
    weak = _grade([ROOT / "datasets" / "mlsd_examples" / "answers" / f"{q}_weak.md" for q in ("q01", "q05")],
                  default_rubric, nlp, real_embedder)
    gamed = _grade(sorted(ADV.glob("*.md")), default_rubric, nlp, real_embedder)
    for stem, r in gamed.items():
        q = stem.split("_")[0]
        assert r.overall.score <= weak[f"{q}_weak"].overall.score, (stem, r.overall.score,
                                                                    weak[f"{q}_weak"].overall.score)

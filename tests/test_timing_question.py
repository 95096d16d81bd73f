import pytest

from grader.embed import embed_texts
from grader.errors import GraderError
from grader.models import Answer, SectionedAnswer, Sentence
from grader.question import choose_question, question_texts
from grader.timing import allocate_time


def _sa(sentences, front=None):
    return SectionedAnswer(answer=Answer(path="a.md", text="", format="markdown", front_matter=front or {}),
                           sentences=[Sentence(text=t, start=0, end=0, stage=s) for s, t in sentences])


def test_minutes_from_words_and_flags(tiny_rubric):
    sa = _sa([("clarify", "word " * 100), ("model", "word " * 1100)])
    t = allocate_time(sa, tiny_rubric, "default")
    assert t.source == "words" and t.minutes == {"clarify": 1.0, "model": 11.0, "monitoring": 0.0}
    assert t.plan == {"clarify": 2, "model": 5, "monitoring": 3}
    assert t.flags == ["over budget: model (11 min against 5 planned)", "skipped: monitoring"]


def test_another_time_plan(tiny_rubric):
    t = allocate_time(_sa([("clarify", "word " * 300)]), tiny_rubric, "short")
    assert t.plan_name == "short" and "over budget: clarify (3 min against 1 planned)" in t.flags


def _table(sa, rubric, hashing):
    return embed_texts([s.text for s in sa.sentences] + question_texts(rubric), hashing, None)


def test_flag_beats_front_matter_beats_detection(tiny_rubric, hashing):
    sa = _sa([(None, "we forecast train delays")], front={"question": "cats"})
    table = _table(sa, tiny_rubric, hashing)
    assert choose_question(sa, tiny_rubric, table, "trains").source == "flag"
    choice = choose_question(sa, tiny_rubric, table)
    assert (choice.question_id, choice.source) == ("cats", "front_matter")


def test_detection_picks_the_closer_question_and_reports_margin(tiny_rubric, hashing):
    sa = _sa([(None, "a system that forecasts train delays on the rail network")])
    choice = choose_question(sa, tiny_rubric, _table(sa, tiny_rubric, hashing))
    assert choice.question_id == "trains" and choice.source == "detected" and choice.margin > 0.1


def test_unknown_question_id_lists_the_known_ones(tiny_rubric, hashing):
    sa = _sa([(None, "x")], front={"question": "dogs"})
    with pytest.raises(GraderError, match=r"unknown question id 'dogs' \(from front matter\); the rubric has cats, trains"):
        choose_question(sa, tiny_rubric, _table(sa, tiny_rubric, hashing))

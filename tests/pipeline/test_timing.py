import pytest

from grader.embedding.cache import embed_texts
from grader.errors import GraderError
from grader.models import Answer, SectionedAnswer, Sentence
from grader.pipeline.question import choose_question, question_texts, requested_question
from grader.pipeline.stages import prototype_texts
from grader.pipeline.timing import allocate_time


def _sa(sentences, front=None, times=None):
    times = times or [(None, None)] * len(sentences)
    return SectionedAnswer(answer=Answer(path="a.md", text="", format="markdown", front_matter=front or {}),
                           sentences=[Sentence(text=t, start=0, end=0, stage=s, t_start=a, t_end=b)
                                      for (s, t), (a, b) in zip(sentences, times)])


def test_minutes_from_words_and_flags(tiny_rubric):
    sa = _sa([("clarify", "word " * 100), ("model", "word " * 1100)])
    t = allocate_time(sa, tiny_rubric, "default")
    assert t.source == "words" and t.minutes == {"clarify": 1.0, "model": 11.0, "monitoring": 0.0}
    assert t.plan == {"clarify": 2, "model": 5, "monitoring": 3} and t.total_minutes == 12.0
    assert t.share == {"clarify": 0.0833, "model": 0.9167, "monitoring": 0.0}
    assert t.flags == ["never reaches: monitoring", "over budget: model (11 min against 5 planned)",
                       "over time: 12 min against 10 planned"]


def test_skipped_is_a_gap_never_reaches_is_the_end(tiny_rubric):
    t = allocate_time(_sa([("clarify", "a b"), ("monitoring", "c d")]), tiny_rubric, "default")
    assert t.flags == ["skipped: model"]
    t = allocate_time(_sa([(None, "hello there")]), tiny_rubric, "default")
    assert t.flags == ["never reaches: clarify, model, monitoring"]


def test_another_time_plan(tiny_rubric):
    t = allocate_time(_sa([("clarify", "word " * 300)]), tiny_rubric, "short")
    assert t.plan_name == "short" and "over budget: clarify (3 min against 1 planned)" in t.flags


def test_timestamps_give_minutes_a_timeline_and_the_deadline_flag(tiny_rubric):
    rubric = tiny_rubric.model_copy(update={"timing": tiny_rubric.timing.model_copy(
        update={"deadlines": {"clarify": 3.0}})})
    # each sentence lasts until the next one starts (the interviewer's turns count toward the stage)
    sa = _sa([(None, "hi"), ("clarify", "scope"), ("clarify", "more scope"), ("model", "a cnn"),
              ("clarify", "one more question"), ("monitoring", "watch drift")],
             times=[(0, 6), (6, 60), (60, 120), (120, 300), (300, 330), (330, 450)])
    t = allocate_time(sa, rubric, "default")
    assert t.source == "timestamps"
    assert t.minutes == {"clarify": 2.4, "model": 3.0, "monitoring": 2.0} and t.total_minutes == 7.5
    assert [(e.stage, e.start, e.end, e.words) for e in t.timeline] == [
        (None, 0.0, 0.1, 1), ("clarify", 0.1, 2.0, 3), ("model", 2.0, 5.0, 2), ("clarify", 5.0, 5.5, 3),
        ("monitoring", 5.5, 7.5, 2)]
    assert t.flags == ["late: clarify still running at 5.5 min (deadline 3)"]


def test_words_timeline_counts_from_the_start(tiny_rubric):
    t = allocate_time(_sa([(None, "word " * 50), ("clarify", "word " * 150)]), tiny_rubric, "default")
    assert [(e.stage, e.start, e.end) for e in t.timeline] == [(None, 0.0, 0.5), ("clarify", 0.5, 2.0)]


def _table(sa, rubric, hashing):
    return embed_texts([s.text for s in sa.sentences] + question_texts(rubric) + prototype_texts(rubric), hashing,
                       None)


def test_flag_beats_front_matter_beats_detection(tiny_rubric, hashing):
    sa = _sa([(None, "we forecast train delays")], front={"question": "cats"})
    table = _table(sa, tiny_rubric, hashing)
    assert choose_question(sa, tiny_rubric, table, requested_question(sa.answer, "trains")).source == "flag"
    choice = choose_question(sa, tiny_rubric, table, requested_question(sa.answer, None))
    assert (choice.question_id, choice.source) == ("cats", "front_matter")


def test_detection_picks_the_closer_question_and_reports_margin(tiny_rubric, hashing):
    sa = _sa([(None, "we ask how far ahead delays must be forecast, then use gradient boosted trees")])
    choice = choose_question(sa, tiny_rubric, _table(sa, tiny_rubric, hashing))
    assert choice.question_id == "trains" and choice.source == "detected" and choice.margin > 0.1


def test_unknown_question_id_lists_the_known_ones(tiny_rubric, hashing):
    sa = _sa([(None, "x")], front={"question": "dogs"})
    with pytest.raises(GraderError, match=r"unknown question id 'dogs' \(from front matter\); the rubric has cats, trains"):
        choose_question(sa, tiny_rubric, _table(sa, tiny_rubric, hashing), requested_question(sa.answer, None))


def test_below_the_thresholds_the_question_is_unknown_and_graded_generically(tiny_rubric, hashing):
    rubric = tiny_rubric.model_copy(update={"question_detection": tiny_rubric.question_detection.model_copy(
        update={"min_similarity": 0.9})})
    sa = _sa([(None, "we ask how far ahead delays must be forecast, then use gradient boosted trees")])
    choice = choose_question(sa, rubric, _table(sa, rubric, hashing))
    assert (choice.question_id, choice.source, choice.guess) == ("generic", "unknown", "trains")
    assert choice.similarity < 0.9 and choice.margin > 0
    generic = rubric.question(choice.question_id)
    assert list(generic.key_points) == ["clarify", "model", "monitoring"]
    assert [kp.text for kp in generic.key_points["model"]] == ["choose the model"]  # the stage's description


def test_a_close_runner_up_is_unknown_too(tiny_rubric, hashing):
    rubric = tiny_rubric.model_copy(update={"question_detection": tiny_rubric.question_detection.model_copy(
        update={"min_margin": 0.99})})
    sa = _sa([(None, "we ask how far ahead delays must be forecast, then use gradient boosted trees")])
    assert choose_question(sa, rubric, _table(sa, rubric, hashing)).source == "unknown"

"""Time allocation: minutes per stage from words or timestamps, the timeline, and the plan's flags."""

from grader.pipeline.timing import allocate_time

from helpers import sectioned


def test_minutes_from_words_and_flags(tiny_rubric):
    sa = sectioned([("clarify", "word " * 100), ("model", "word " * 1100)])
    t = allocate_time(sa, tiny_rubric, "default")
    assert t.source == "words" and t.minutes == {"clarify": 1.0, "model": 11.0, "monitoring": 0.0}
    assert t.plan == {"clarify": 2, "model": 5, "monitoring": 3} and t.total_minutes == 12.0
    assert t.share == {"clarify": 0.0833, "model": 0.9167, "monitoring": 0.0}
    assert t.flags == ["never reaches: monitoring", "over budget: model (11 min against 5 planned)",
                       "over time: 12 min against 10 planned"]


def test_skipped_is_a_gap_never_reaches_is_the_end(tiny_rubric):
    t = allocate_time(sectioned([("clarify", "a b"), ("monitoring", "c d")]), tiny_rubric, "default")
    assert t.flags == ["skipped: model"]
    t = allocate_time(sectioned([(None, "hello there")]), tiny_rubric, "default")
    assert t.flags == ["never reaches: clarify, model, monitoring"]


def test_another_time_plan(tiny_rubric):
    t = allocate_time(sectioned([("clarify", "word " * 300)]), tiny_rubric, "short")
    assert t.plan_name == "short" and "over budget: clarify (3 min against 1 planned)" in t.flags


def test_timestamps_give_minutes_a_timeline_and_the_deadline_flag(tiny_rubric):
    rubric = tiny_rubric.model_copy(update={"timing": tiny_rubric.timing.model_copy(
        update={"deadlines": {"clarify": 3.0}})})
    # each sentence lasts until the next one starts (the interviewer's turns count toward the stage)
    sa = sectioned([(None, "hi"), ("clarify", "scope"), ("clarify", "more scope"), ("model", "a cnn"),
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
    t = allocate_time(sectioned([(None, "word " * 50), ("clarify", "word " * 150)]), tiny_rubric, "default")
    assert [(e.stage, e.start, e.end) for e in t.timeline] == [(None, 0.0, 0.5), ("clarify", 0.5, 2.0)]

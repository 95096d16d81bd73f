"""Which question an answer answers: the --question flag, then front matter, then detection (with the
generic stage rubric below the thresholds)."""

import pytest

from grader.embedding.cache import embed_texts
from grader.errors import GraderError
from grader.pipeline.question import choose_question, question_texts, requested_question
from grader.pipeline.stages import prototype_texts

from helpers import sectioned


def _table(sa, rubric, hashing):
    return embed_texts([s.text for s in sa.sentences] + question_texts(rubric) + prototype_texts(rubric), hashing,
                       None)


def test_flag_beats_front_matter_beats_detection(tiny_rubric, hashing):
    sa = sectioned([(None, "we forecast train delays")], front={"question": "cats"})
    table = _table(sa, tiny_rubric, hashing)
    assert choose_question(sa, tiny_rubric, table, requested_question(sa.answer, "trains")).source == "flag"
    choice = choose_question(sa, tiny_rubric, table, requested_question(sa.answer, None))
    assert (choice.question_id, choice.source) == ("cats", "front_matter")


def test_detection_picks_the_closer_question_and_reports_margin(tiny_rubric, hashing):
    sa = sectioned([(None, "we ask how far ahead delays must be forecast, then use gradient boosted trees")])
    choice = choose_question(sa, tiny_rubric, _table(sa, tiny_rubric, hashing))
    assert choice.question_id == "trains" and choice.source == "detected" and choice.margin > 0.1


def test_unknown_question_id_lists_the_known_ones(tiny_rubric, hashing):
    sa = sectioned([(None, "x")], front={"question": "dogs"})
    with pytest.raises(GraderError, match=r"unknown question id 'dogs' \(from front matter\); the rubric has cats, trains"):
        choose_question(sa, tiny_rubric, _table(sa, tiny_rubric, hashing), requested_question(sa.answer, None))


def test_below_the_thresholds_the_question_is_unknown_and_graded_generically(tiny_rubric, hashing):
    rubric = tiny_rubric.model_copy(update={"question_detection": tiny_rubric.question_detection.model_copy(
        update={"min_similarity": 0.9})})
    sa = sectioned([(None, "we ask how far ahead delays must be forecast, then use gradient boosted trees")])
    choice = choose_question(sa, rubric, _table(sa, rubric, hashing))
    assert (choice.question_id, choice.source, choice.guess) == ("generic", "unknown", "trains")
    assert choice.similarity < 0.9 and choice.margin > 0
    generic = rubric.question(choice.question_id)
    assert list(generic.key_points) == ["clarify", "model", "monitoring"]
    assert [kp.text for kp in generic.key_points["model"]] == ["choose the model"]  # the stage's description


def test_a_close_runner_up_is_unknown_too(tiny_rubric, hashing):
    rubric = tiny_rubric.model_copy(update={"question_detection": tiny_rubric.question_detection.model_copy(
        update={"min_margin": 0.99})})
    sa = sectioned([(None, "we ask how far ahead delays must be forecast, then use gradient boosted trees")])
    assert choose_question(sa, rubric, _table(sa, rubric, hashing)).source == "unknown"


def test_a_title_naming_one_question_decides_it(tiny_rubric, hashing):
    text = [(None, "we ask how far ahead delays must be forecast, then use gradient boosted trees")]
    sa = sectioned(text, front={"title": "My cat photos project"})  # the text is about trains, the title about cats
    choice = choose_question(sa, tiny_rubric, _table(sa, tiny_rubric, hashing))
    assert (choice.question_id, choice.source) == ("cats", "title") and choice.margin < 0
    first_heading = sa.model_copy(update={"answer": sa.answer.model_copy(update={"front_matter": {}}),
                                          "headings": [("Rail delay forecasts, part 2", None)]})
    choice = choose_question(first_heading, tiny_rubric, _table(sa, tiny_rubric, hashing))
    assert (choice.question_id, choice.source) == ("trains", "title")


def test_a_title_naming_two_questions_or_none_leaves_it_to_the_text(tiny_rubric, hashing):
    text = [(None, "we ask how far ahead delays must be forecast, then use gradient boosted trees")]
    for title in ("Cat photos and train delays", "Notes from my interview"):
        sa = sectioned(text, front={"title": title})
        choice = choose_question(sa, tiny_rubric, _table(sa, tiny_rubric, hashing))
        assert (choice.question_id, choice.source) == ("trains", "detected"), title


def test_a_longer_phrase_shadows_the_shorter_one_it_contains(default_rubric):
    from grader.pipeline.question import question_of_title

    assert question_of_title("Building a news recommendation app", default_rubric) == "q02"  # not q01's
    assert question_of_title("Blog recommendation in Vespa", default_rubric) == "q01"
    assert question_of_title("Design the Twitter timeline and search", default_rubric) is None

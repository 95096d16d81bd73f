"""Reading a rubric file: the default rubric, YAML errors at their line (nothing executed), every problem at
the line of its entry, golden answer files, one-line load errors."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.errors import GraderError
from grader.inputs.rubric import load_rubric, rubric_problems
from grader.models import STAGE_IDS

from helpers import (DEFAULT_RUBRIC, GOLDEN_ANSWERS, SHORT_ANSWER_RUBRIC, default_rubric_data, tiny_rubric_data,
                     write_rubric)


from grader.inputs.rubric import rubric_question_ids, short_answer_rubric



def test_default_rubric_is_valid_and_complete(default_rubric):
    assert default_rubric.stage_ids == list(STAGE_IDS)
    assert [q.id for q in default_rubric.questions] == [f"q{i:02d}" for i in range(1, 11)]
    assert {d.id for d in default_rubric.dimensions} == {
        "problem_framing", "data_intuition", "modeling_judgment", "feature_engineering",
        "training_at_scale", "serving_latency", "feedback_loops"}
    for q in default_rubric.questions:
        assert 8 <= len(q.all_key_points()) <= 20, q.id
    assert rubric_problems(DEFAULT_RUBRIC) == []


def test_bad_yaml_names_the_line(tmp_path):
    p = write_rubric(tmp_path, "id: x\nstages: [a\nname: y\n")
    problems = rubric_problems(p)
    assert len(problems) == 1 and problems[0].startswith("line 3: invalid YAML")


def test_python_tags_are_not_executed(tmp_path):
    p = write_rubric(tmp_path, "id: !!python/object/apply:os.system ['touch pwned']\n")
    assert "invalid YAML" in rubric_problems(p)[0]
    assert not (tmp_path / "pwned").exists()


def test_unknown_field_is_reported_with_path_and_line(tmp_path):
    data = tiny_rubric_data()
    data["coverage"]["flor"] = 0.1
    problems = rubric_problems(write_rubric(tmp_path, data))
    assert any("coverage.flor: Extra inputs are not permitted" in p and p.startswith("line ") for p in problems)


def test_missing_golden_answer_file(tmp_path):
    p = write_rubric(tmp_path, tiny_rubric_data())
    (tmp_path / "golden_trains.md").unlink()
    [problem] = rubric_problems(p)
    line = next(i for i, text in enumerate(p.read_text().splitlines(), 1) if "golden_trains.md" in text)
    assert problem == (f"line {line}: questions.1.golden_answers.0: question 'trains': golden answer "
                       f"golden_trains.md not found")


def test_every_cross_reference_problem_is_listed_at_its_own_line(tmp_path):
    """Not only the first, and not at the top of the file: each at the entry that is wrong."""
    import copy

    base = default_rubric_data()
    for q in base["questions"]:  # the copy lives elsewhere: point at the real golden answers
        q["golden_answers"] = [str(GOLDEN_ANSWERS / Path(g).name) for g in q["golden_answers"]]
    data = copy.deepcopy(base)
    data["questions"][3]["required_concepts"].append("telepathy")
    data["time_plans"]["default"]["minutes"].pop("monitoring")
    data["dimensions"][2]["stages"] = {"model": 0.5, "training": 0.4}
    path = write_rubric(tmp_path, data)
    problems = rubric_problems(path)
    assert len(problems) == 3, problems
    text = path.read_text().splitlines()
    by_field = {p.split(": ")[1]: int(p.split(": ")[0].removeprefix("line ")) for p in problems}
    assert set(by_field) == {"questions.3.required_concepts", "time_plans.default.minutes", "dimensions.2.stages"}
    assert "required_concepts" in text[by_field["questions.3.required_concepts"] - 1]
    assert "minutes" in text[by_field["time_plans.default.minutes"] - 1]
    assert "stages" in text[by_field["dimensions.2.stages"] - 1]


def test_load_rubric_raises_one_line_with_count(tmp_path):
    data = tiny_rubric_data()
    data["coverage"]["flor"] = 0.1
    data["timing"]["wpm"] = 3
    with pytest.raises(GraderError) as info:
        load_rubric(write_rubric(tmp_path, data))
    assert "and 1 more" in str(info.value) and "\n" not in str(info.value)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.sampled_from(["id: x\n", "stages: [a\n", "- ", "!!python/name:os.system ", "{", "}", ":",
                                      "coverage: {floor: 1}\n", "\t", "&a ", "*a ", "questions: []\n", "'", "\n"]),
                     max_size=20).map("".join))
def test_rubric_check_on_any_yaml_reports_problems_and_never_raises(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("r") / "r.yaml"
    p.write_text(text)
    problems = rubric_problems(p)
    assert problems and all("\n" not in x for x in problems)


def test_generic_rubric_one_stage_one_dimension_key_points_from_the_reference(short_dataset, nlp):
    rubric, qmap = short_answer_rubric(short_dataset.questions, nlp)
    assert [s.id for s in rubric.stages] == ["answer"] and [d.id for d in rubric.dimensions] == ["score"]
    assert qmap == {"Q.1": "q_1", "q2": "q2", "Q 3": "q_3", "4": "4"}
    assert [q.id for q in rubric.questions] == ["q_1", "q2", "q_3"]  # "4" has no reference answer
    points = [kp.text for _, kp in rubric.question("q_1").all_key_points()]
    assert points == ["The switch closes the circuit", "current flows through the bulb"]  # split at ';'
    assert len(rubric.question("q_3").all_key_points()) == 2  # one per line


def test_rubric_question_ids_are_unique_identifiers():
    assert rubric_question_ids(["A.1", "a_1", "A-1", ""]) == {"A.1": "a_1", "a_1": "a_1_2", "A-1": "a_1_3", "": "q"}


def test_default_rubric_loads_for_folders(default_rubric):
    assert load_rubric(SHORT_ANSWER_RUBRIC).questions == []

"""The rubric model's rules, as `grader rubric check` lists them: cross-references between stages, dimensions,
time plans, key points and detectors; ordered thresholds; the default sections block."""

import pytest

from grader.inputs.rubric import rubric_problems

from helpers import default_rubric_data, tiny_rubric_data, write_rubric


def test_dimension_naming_unknown_stage(tmp_path):
    data = tiny_rubric_data()
    data["dimensions"][0]["stages"] = {"clarfy": 1.0}
    problems = rubric_problems(write_rubric(tmp_path, data))
    assert any("unknown stage(s) ['clarfy']" in p for p in problems)


def test_time_plan_missing_a_stage(tmp_path):
    data = tiny_rubric_data()
    del data["time_plans"]["short"]["minutes"]["model"]
    assert any("time plan 'short' has no minutes for stage(s) model" in p
               for p in rubric_problems(write_rubric(tmp_path, data)))


def test_penalty_naming_unknown_key_point(tmp_path):
    data = tiny_rubric_data()
    data["questions"][0]["penalties"] = [{"id": "p", "description": "d", "advice": "a",
                                          "unless_covered": ["model.nope"]}]
    assert any("unknown key point(s) ['model.nope']" in p for p in rubric_problems(write_rubric(tmp_path, data)))


def test_question_without_key_points_for_a_stage(tmp_path):
    data = tiny_rubric_data()
    del data["questions"][1]["key_points"]["monitoring"]
    assert any("no key points for stage(s) monitoring" in p for p in rubric_problems(write_rubric(tmp_path, data)))


def test_thresholds_must_be_ordered(tmp_path):
    data = tiny_rubric_data()
    data["coverage"]["match"] = 0.9
    assert any("floor < match <= full" in p for p in rubric_problems(write_rubric(tmp_path, data)))


def test_unknown_detector_ids_and_kinds_are_rejected(tmp_path):
    import copy

    base = default_rubric_data()
    for q in base["questions"]:
        q["golden_answers"] = []
    data = copy.deepcopy(base)
    data["questions"][0]["required_concepts"].append("telepathy")
    problems = rubric_problems(write_rubric(tmp_path, data))
    assert any("unknown detector(s) ['telepathy']" in p for p in problems), problems
    data = copy.deepcopy(base)
    data["questions"][2]["penalties"][0]["unless_detected"] = ["nope"]
    assert any("unknown detector(s) ['nope']" in p for p in rubric_problems(write_rubric(tmp_path, data)))
    data = copy.deepcopy(base)
    data["detectors"][0]["match"][0] = {"kind": "magic", "words": ["x"]}
    assert any("unknown detector kind 'magic'; available: near, phrase, regex" in p
               for p in rubric_problems(write_rubric(tmp_path, data)))
    data = copy.deepcopy(base)
    data["detectors"][0]["match"][0]["phrasez"] = ["x"]
    assert any("phrase params: phrasez" in p for p in rubric_problems(write_rubric(tmp_path, data)))


def test_stage_weights_of_a_dimension_must_sum_to_one(tmp_path):
    data = tiny_rubric_data()
    data["dimensions"][1]["stages"] = {"model": 0.5, "monitoring": 0.6}
    assert any("dimension 'building' stage weights sum to 1.1, not 1" in p
               for p in rubric_problems(write_rubric(tmp_path, data)))


def test_the_default_sections_block_is_the_default_rubrics(default_rubric, tiny_rubric):
    from grader.models import DEFAULT_SECTIONS

    assert default_rubric.sections == DEFAULT_SECTIONS  # a rubric without `sections:` gets these
    assert tiny_rubric.sections == DEFAULT_SECTIONS
    assert all(len(s.generic_points) >= 2 for s in default_rubric.stages)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["questions"][0].update(id="generic"), "question id 'generic' is reserved"),
    (lambda d: d["timing"].update(deadlines={"data": 25}), "timing deadlines name unknown stage(s) ['data']"),
    (lambda d: d.update(sections={"none_headings": [], "max_sentence_words": 40, "inference": {"temperature": 0}}),
     "sections.inference.temperature"),
])
def test_sections_and_timing_problems_are_reported(tmp_path, edit, message):
    data = tiny_rubric_data()
    edit(data)
    problems = rubric_problems(write_rubric(tmp_path, data))
    assert any(message in p for p in problems), problems


def test_every_detector_of_the_default_rubric_has_a_spec(default_rubric):
    """Each detector's spec: what counts, one example that earns the concept and one look-alike that does not.
    Optional in the model (other rubrics may have none)."""
    from grader.models import DetectorSpec

    assert len(default_rubric.detectors) == 42
    for d in default_rubric.detectors:
        text = d.description
        assert text.startswith("What counts: "), d.id
        assert text.index("What counts: ") < text.index(" Counts: '") < text.index(" Not: '"), d.id
        assert text.endswith("'."), d.id
    bare = DetectorSpec.model_validate({"id": "d", "stages": ["model"], "feeds": {"framing": 1.0},
                                        "match": [{"kind": "phrase", "phrases": ["x"]}]})
    assert bare.description == ""

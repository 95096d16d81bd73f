from pathlib import Path

import pytest
import yaml

from grader.errors import GraderError
from grader.models import STAGE_IDS
from grader.inputs.rubric import load_rubric, rubric_problems

from helpers import DATA, ROOT


def _tiny() -> dict:
    return yaml.safe_load((DATA / "tiny_rubric.yaml").read_text())


def _write(tmp_path: Path, data: dict | str) -> Path:
    p = tmp_path / "r.yaml"
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    for name in ("golden_cats.md", "golden_trains.md"):
        (tmp_path / name).write_text("x")
    return p


def test_default_rubric_is_valid_and_complete(default_rubric):
    assert default_rubric.stage_ids == list(STAGE_IDS)
    assert [q.id for q in default_rubric.questions] == [f"q{i:02d}" for i in range(1, 11)]
    assert {d.id for d in default_rubric.dimensions} == {
        "problem_framing", "data_intuition", "modeling_judgment", "feature_engineering",
        "training_at_scale", "serving_latency", "feedback_loops"}
    for q in default_rubric.questions:
        assert 8 <= len(q.all_key_points()) <= 20, q.id
    assert rubric_problems(ROOT / "rubrics" / "ml_system_design.yaml") == []


def test_bad_yaml_names_the_line(tmp_path):
    p = _write(tmp_path, "id: x\nstages: [a\nname: y\n")
    problems = rubric_problems(p)
    assert len(problems) == 1 and problems[0].startswith("line 3: invalid YAML")


def test_python_tags_are_not_executed(tmp_path):
    p = _write(tmp_path, "id: !!python/object/apply:os.system ['touch pwned']\n")
    assert "invalid YAML" in rubric_problems(p)[0]
    assert not (tmp_path / "pwned").exists()


def test_unknown_field_is_reported_with_path_and_line(tmp_path):
    data = _tiny()
    data["coverage"]["flor"] = 0.1
    problems = rubric_problems(_write(tmp_path, data))
    assert any("coverage.flor: Extra inputs are not permitted" in p and p.startswith("line ") for p in problems)


def test_dimension_naming_unknown_stage(tmp_path):
    data = _tiny()
    data["dimensions"][0]["stages"] = {"clarfy": 1.0}
    problems = rubric_problems(_write(tmp_path, data))
    assert any("unknown stage(s) ['clarfy']" in p for p in problems)


def test_time_plan_missing_a_stage(tmp_path):
    data = _tiny()
    del data["time_plans"]["short"]["minutes"]["model"]
    assert any("time plan 'short' has no minutes for stage(s) model" in p
               for p in rubric_problems(_write(tmp_path, data)))


def test_penalty_naming_unknown_key_point(tmp_path):
    data = _tiny()
    data["questions"][0]["penalties"] = [{"id": "p", "description": "d", "advice": "a",
                                          "unless_covered": ["model.nope"]}]
    assert any("unknown key point(s) ['model.nope']" in p for p in rubric_problems(_write(tmp_path, data)))


def test_question_without_key_points_for_a_stage(tmp_path):
    data = _tiny()
    del data["questions"][1]["key_points"]["monitoring"]
    assert any("no key points for stage(s) monitoring" in p for p in rubric_problems(_write(tmp_path, data)))


def test_missing_golden_answer_file(tmp_path):
    p = _write(tmp_path, _tiny())
    (tmp_path / "golden_trains.md").unlink()
    [problem] = rubric_problems(p)
    line = next(i for i, text in enumerate(p.read_text().splitlines(), 1) if "golden_trains.md" in text)
    assert problem == (f"line {line}: questions.1.golden_answers.0: question 'trains': golden answer "
                       f"golden_trains.md not found")


def test_every_cross_reference_problem_is_listed_at_its_own_line(tmp_path):
    """Not only the first, and not at the top of the file: each at the entry that is wrong."""
    import copy

    base = yaml.safe_load((ROOT / "rubrics" / "ml_system_design.yaml").read_text())
    for q in base["questions"]:  # the copy lives elsewhere: point at the real golden answers
        q["golden_answers"] = [str(ROOT / "golden_answers" / Path(g).name) for g in q["golden_answers"]]
    data = copy.deepcopy(base)
    data["questions"][3]["required_concepts"].append("telepathy")
    data["time_plans"]["default"]["minutes"].pop("monitoring")
    data["dimensions"][2]["stages"] = {"model": 0.5, "training": 0.4}
    path = _write(tmp_path, data)
    problems = rubric_problems(path)
    assert len(problems) == 3, problems
    text = path.read_text().splitlines()
    by_field = {p.split(": ")[1]: int(p.split(": ")[0].removeprefix("line ")) for p in problems}
    assert set(by_field) == {"questions.3.required_concepts", "time_plans.default.minutes", "dimensions.2.stages"}
    assert "required_concepts" in text[by_field["questions.3.required_concepts"] - 1]
    assert "minutes" in text[by_field["time_plans.default.minutes"] - 1]
    assert "stages" in text[by_field["dimensions.2.stages"] - 1]


def test_thresholds_must_be_ordered(tmp_path):
    data = _tiny()
    data["coverage"]["match"] = 0.9
    assert any("floor < match <= full" in p for p in rubric_problems(_write(tmp_path, data)))


def test_load_rubric_raises_one_line_with_count(tmp_path):
    data = _tiny()
    data["coverage"]["flor"] = 0.1
    data["timing"]["wpm"] = 3
    with pytest.raises(GraderError) as info:
        load_rubric(_write(tmp_path, data))
    assert "and 1 more" in str(info.value) and "\n" not in str(info.value)


def test_unknown_detector_ids_and_kinds_are_rejected(tmp_path):
    import copy

    base = yaml.safe_load((ROOT / "rubrics" / "ml_system_design.yaml").read_text())
    for q in base["questions"]:
        q["golden_answers"] = []
    data = copy.deepcopy(base)
    data["questions"][0]["required_concepts"].append("telepathy")
    problems = rubric_problems(_write(tmp_path, data))
    assert any("unknown detector(s) ['telepathy']" in p for p in problems), problems
    data = copy.deepcopy(base)
    data["questions"][2]["penalties"][0]["unless_detected"] = ["nope"]
    assert any("unknown detector(s) ['nope']" in p for p in rubric_problems(_write(tmp_path, data)))
    data = copy.deepcopy(base)
    data["detectors"][0]["match"][0] = {"kind": "magic", "words": ["x"]}
    assert any("unknown detector kind 'magic'; available: near, phrase, regex" in p
               for p in rubric_problems(_write(tmp_path, data)))
    data = copy.deepcopy(base)
    data["detectors"][0]["match"][0]["phrasez"] = ["x"]
    assert any("phrase params: phrasez" in p for p in rubric_problems(_write(tmp_path, data)))


def test_stage_weights_of_a_dimension_must_sum_to_one(tmp_path):
    data = _tiny()
    data["dimensions"][1]["stages"] = {"model": 0.5, "monitoring": 0.6}
    assert any("dimension 'building' stage weights sum to 1.1, not 1" in p
               for p in rubric_problems(_write(tmp_path, data)))


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
    data = _tiny()
    edit(data)
    problems = rubric_problems(_write(tmp_path, data))
    assert any(message in p for p in problems), problems

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.models import Answer
from grader.sections import split_sections, stage_of_heading


def _split(text, rubric, nlp):
    return split_sections([Answer(path="a.md", text=text, format="markdown")], rubric.stages, nlp)[0]


def _stages(sa):
    return [(s.stage, s.text) for s in sa.sentences]


def test_heading_phrases_longest_match_wins(default_rubric):
    stages = default_rubric.stages
    assert stage_of_heading("Training data generation", stages) == "data_features"
    assert stage_of_heading("3. Data & Features", stages) == "data_features"
    assert stage_of_heading("Offline evaluation", stages) == "training"
    assert stage_of_heading("Online metrics and A/B testing", stages) == "monitoring"
    assert stage_of_heading("System architecture", stages) == "serving"
    assert stage_of_heading("Frame as ML task", stages) == "ml_task"
    assert stage_of_heading("Model + training", stages) == "model"  # a tie goes to the first named
    assert stage_of_heading("Summary", stages) is None


def test_atx_setext_bold_and_numbered_headings(tiny_rubric, nlp):
    text = ("Intro before any heading.\n\n"
            "# Requirements\nWe ask about volume.\n\n"
            "Model choice\n------------\nWe pick a CNN.\n\n"
            "**Launch**\n\nWe watch drift.\n\n"
            "1. Clarify again\n\nA second look at scope.\n")
    sa = _split(text, tiny_rubric, nlp)
    assert _stages(sa) == [(None, "Intro before any heading."), ("clarify", "We ask about volume."),
                           ("model", "We pick a CNN."), ("monitoring", "We watch drift."),
                           ("clarify", "A second look at scope.")]


def test_subheading_inherits_and_code_is_not_prose(tiny_rubric, nlp):
    text = "## Model\n### Details\nUse a CNN.\n\n```\nprint('not prose')\n```\n<!-- hidden -->\n"
    sa = _split(text, tiny_rubric, nlp)
    assert _stages(sa) == [("model", "Use a CNN.")]


def test_unmatched_heading_filling_an_exact_gap_takes_the_missing_stage(tiny_rubric, nlp):
    text = "## Requirements\nAsk.\n\n## What we build\nA CNN.\n\n## Launch\nWatch.\n\n## Summary\nDone.\n"
    sa = _split(text, tiny_rubric, nlp)
    assert [s.stage for s in sa.sentences] == ["clarify", "model", "monitoring", None]


def test_a_list_is_not_a_heading(tiny_rubric, nlp):
    text = "## Model\n- Model drift\n- Model size\n\nWe watch both.\n"
    sa = _split(text, tiny_rubric, nlp)
    assert {s.stage for s in sa.sentences} == {"model"}


def test_sentence_offsets_point_into_the_text(tiny_rubric, nlp):
    text = "## Model\nWe use a **deep** CNN. It is *pretrained*.\n\n- Flip photos\n  and crop them.\n"
    sa = _split(text, tiny_rubric, nlp)
    assert [s.text for s in sa.sentences] == ["We use a deep CNN.", "It is pretrained.",
                                              "Flip photos and crop them."]
    assert [text[s.start:s.end] for s in sa.sentences] == [
        "We use a **deep** CNN.", "It is *pretrained*.", "Flip photos\n  and crop them."]


def test_batch_equals_one_by_one(tiny_rubric, nlp):
    texts = ["## Model\nA. B.", "Plain text. Two sentences.", "# Launch\nWatch it."]
    answers = [Answer(path=f"{i}.md", text=t, format="markdown") for i, t in enumerate(texts)]
    batch = split_sections(answers, tiny_rubric.stages, nlp)
    assert batch == [split_sections([a], tiny_rubric.stages, nlp)[0] for a in answers]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab #*-_`>\n1.:<h2>/!")), max_size=300))
def test_parser_never_crashes_and_offsets_stay_in_bounds(tiny_rubric, nlp, text):
    sa = _split(text, tiny_rubric, nlp)
    for s in sa.sentences:
        assert 0 <= s.start <= s.end <= len(text)
        assert s.stage in (None, "clarify", "model", "monitoring")

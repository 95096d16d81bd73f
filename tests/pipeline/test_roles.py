"""Sentence roles and context: references, citations and captions are never evidence; a heading names what the
text under it is about; a terse note that says something is no bare list item (default rubric, hashing)."""

from grader.pipeline.substance import standalone_hits

from helpers import grade_text, split_one

CALIBRATE = "We calibrate the predicted click probabilities with isotonic regression on a held-out day."


def roles(text, rubric, nlp):
    return {s.text: s.role for s in split_one(text, rubric, nlp).sentences}


def test_links_citations_captions_and_reference_sections_get_their_role(default_rubric, nlp):
    text = ("## Model\n\n" + CALIBRATE + "\n\n"
            "- [Practical lessons from predicting clicks on ads](https://example.com/paper.pdf)\n"
            "- [2017] Deep interest network for click-through rate prediction\n\n"
            "![diagram](arch.png) The serving path\n\n"
            "Figure 2: calibration curve before and after isotonic regression\n\n"
            "## Further reading\n\nCalibrating probabilities with isotonic regression, a tutorial.\n")
    got = roles(text, default_rubric, nlp)
    assert got[CALIBRATE] == "prose"
    assert got["Practical lessons from predicting clicks on ads"] == "reference"
    assert got["[2017] Deep interest network for click-through rate prediction"] == "reference"
    assert got["The serving path"] == "caption"
    assert got["Figure 2: calibration curve before and after isotonic regression"] == "caption"
    assert got["Calibrating probabilities with isotonic regression, a tutorial."] == "reference"


def test_a_markdown_heading_swallowed_by_an_html_block_opens_a_section(default_rubric, nlp):
    text = "<figure><img src='a.png'></figure>\n## Monitoring\n\nWe watch calibration drift every day.\n"
    sa = split_one(text, default_rubric, nlp)
    assert not any(s.text.startswith("##") for s in sa.sentences)
    assert [s.stage for s in sa.sentences if "drift" in s.text] == ["monitoring"]


def test_references_and_captions_are_never_evidence(toolkit, default_rubric):
    cited = grade_text("## Model\n\n- [2016] Calibrated click models with isotonic regression for ads\n",
                       toolkit, default_rubric)
    assert "calibration" not in {h.id for h in cited.detectors}
    prose = grade_text("## Model\n\n" + CALIBRATE + "\n", toolkit, default_rubric)
    assert [h.hit for h in prose.detectors if h.id == "calibration"] == [True]


def test_a_sentence_under_a_concept_heading_is_evidence_of_it(toolkit, default_rubric):
    under = ("## Training\n\n### Negative sampling\n\n"
             "We keep one in twenty of the unclicked rows and reweight them by twenty in the loss.\n")
    plain = "## Training\n\nWe keep one in twenty of the unclicked rows and reweight them by twenty in the loss.\n"
    got = {h.id: h for h in grade_text(under, toolkit, default_rubric).detectors}
    assert got["negative_sampling"].hit and got["negative_sampling"].evidence.startswith("We keep one")
    assert "negative_sampling" not in {h.id for h in grade_text(plain, toolkit, default_rubric).detectors}


def test_a_terse_note_is_not_a_bare_list_item_but_a_run_of_names_is(default_rubric, nlp):
    note, names = "Negative sampling: keep 5% of non-click rows, weight x20", "Negative sampling, DCN, feature store"
    found = standalone_hits([note, names, "Negative sampling"], default_rubric, nlp)
    assert "negative_sampling" in found[0]
    assert found[1] == set() and found[2] == set()


def test_a_concept_named_in_a_heading_is_not_reported_missing(toolkit, default_rubric):
    bare = "## Model\n\n" + CALIBRATE + "\n\n## Launch\n\nWe ship it.\n"
    headed = "## Model\n\n" + CALIBRATE + "\n\n## A/B test\n\n- CTR\n- revenue per mille\n"
    flags = lambda text: {m.id for m in grade_text(text, toolkit, default_rubric).mistakes}  # noqa: E731
    assert "offline_as_online" in flags(bare)
    assert "offline_as_online" not in flags(headed)

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


def test_a_list_item_under_a_concept_heading_is_evidence_of_it(toolkit, default_rubric):
    claim = "We keep one in twenty of the unclicked rows and reweight them by twenty in the loss."
    item = f"## Training\n\n### Negative sampling\n\n- {claim}\n"
    prose = f"## Training\n\n### Negative sampling\n\n{claim}\n"
    plain = f"## Training\n\n- {claim}\n"
    ids = lambda text: {h.id: h for h in grade_text(text, toolkit, default_rubric).detectors}  # noqa: E731
    got = ids(item)
    assert got["negative_sampling"].hit and got["negative_sampling"].evidence.startswith("We keep one")
    assert "negative_sampling" not in ids(plain)
    assert "negative_sampling" not in ids(prose)  # a paragraph under the heading may be about anything


def test_a_terse_note_is_not_a_bare_list_item_but_a_run_of_names_is(default_rubric, nlp):
    note, names = "Negative sampling: keep 5% of non-click rows, weight x20", "Negative sampling, DCN, feature store"
    found = standalone_hits([note, names, "Negative sampling"], default_rubric, nlp)
    assert "negative_sampling" in found[0]
    assert found[1] == set() and found[2] == set()


def test_a_concept_named_in_a_heading_is_not_reported_missing(toolkit, default_rubric):
    evaluated = "## Model\n\n" + CALIBRATE + "\n\n## Evaluation\n\nWe compare models by AUC on the last week.\n"
    bare = evaluated + "\n## Launch\n\nWe ship it.\n"
    headed = evaluated + "\n## A/B test\n\n- CTR\n- revenue per mille\n"
    flags = lambda text: {m.id for m in grade_text(text, toolkit, default_rubric).mistakes}  # noqa: E731
    assert "offline_as_online" in flags(bare)
    assert "offline_as_online" not in flags(headed)


def test_a_flag_whose_premise_does_not_hold_is_not_raised(toolkit, default_rubric):
    # "treats offline metrics as the goal" needs offline metrics; "nothing about training data" needs a model
    no_metrics = "## Model\n\n" + CALIBRATE + "\n\n## Launch\n\nWe ship it.\n"
    flags = {m.id for m in grade_text(no_metrics, toolkit, default_rubric).mistakes}
    assert "offline_as_online" not in flags
    no_model = "## Design\n\nA load balancer spreads requests over three web servers that read from a replica.\n"
    flags = {m.id for m in grade_text(no_model, toolkit, default_rubric).mistakes}
    assert not flags & {"no_training_data_strategy", "no_freshness_plan"}
    with_model = no_model + "\nA gradient boosted tree model scores each request.\n"
    assert "no_training_data_strategy" in {m.id for m in grade_text(with_model, toolkit, default_rubric).mistakes}


def test_keyword_list_counts_bare_items_that_name_concepts_not_terse_notes(toolkit, default_rubric):
    keywords = "## Notes\n\n" + "".join(f"- {t}\n" for t in [
        "Two-tower model", "Negative sampling", "Feature store", "Cold start", "Position bias", "Calibration",
        "A/B test", "Concept drift"])
    notes = "## Notes\n\n" + "".join(f"- {t}\n" for t in [
        "user-topic clusters, long vs short term", "watch > 30 s = positive", "drop items older than a week",
        "p99 under 80 ms", "hourly refresh of counters", "reviewers see top 1% scores", "bigger batches on GPUs",
        "metric: watch time per session"])
    flags = lambda text: {m.id for m in grade_text(text, toolkit, default_rubric).mistakes}  # noqa: E731
    assert "keyword_list" in flags(keywords)
    assert "keyword_list" not in flags(notes)


def test_the_evidence_is_the_mention_most_like_the_spec(toolkit, default_rubric):
    vague = "Calibration is something we think about."
    spec_like = ("Isotonic regression is refit daily so that predicted probabilities match observed click rates "
                 "(calibration), because the auction multiplies pCTR by the bid.")
    for text in (f"## Model\n\n{vague}\n\n{spec_like}\n", f"## Model\n\n{spec_like}\n\n{vague}\n"):
        hit = next(h for h in grade_text(text, toolkit, default_rubric).detectors if h.id == "calibration")
        assert hit.evidence == spec_like

"""Headings and sentences: Markdown shapes, offsets into the text, and transcripts' sentences with their
times."""

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.errors import GraderError
from grader.inputs.answers import read_answer
from grader.inputs.transcripts import parse_transcript
from grader.models import Answer
from grader.pipeline.sections import split_sections, stage_of_heading, stages_of_heading

from helpers import INTERVIEW_VTT, split_one, write_files


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
    assert stage_of_heading("Summary", stages) is None
    assert stage_of_heading("Problem formulation", stages) == "ml_task"
    assert stage_of_heading("Candidate generation", stages) == "model"
    assert stage_of_heading("Deployment", stages) == "serving"
    assert stage_of_heading("Follow-ups", stages) == "monitoring"


def test_a_heading_may_name_several_stages(default_rubric):
    stages = default_rubric.stages
    assert stages_of_heading("Model + training", stages) == ("model", "training")
    assert stages_of_heading("Serving and monitoring", stages) == ("serving", "monitoring")
    assert stages_of_heading("Training data generation", stages) == ("data_features",)  # longest first
    assert stages_of_heading("Model serving", stages) == ("serving",)
    assert stages_of_heading("Why this matters", stages) == ()


def test_atx_setext_bold_and_numbered_headings(tiny_rubric, nlp):
    text = ("Intro before any heading.\n\n"
            "# Requirements\nWe ask about volume.\n\n"
            "Model choice\n------------\nWe pick a CNN.\n\n"
            "**Launch**\n\nWe watch drift.\n\n"
            "1. Clarify again\n\nA second look at scope.\n")
    sa = split_one(text, tiny_rubric, nlp)
    assert _stages(sa) == [(None, "Intro before any heading."), ("clarify", "We ask about volume."),
                           ("model", "We pick a CNN."), ("monitoring", "We watch drift."),
                           ("clarify", "A second look at scope.")]


def test_subheading_inherits_and_code_is_not_prose(tiny_rubric, nlp):
    text = "## Model\n### Details\nUse a CNN.\n\n```\nprint('not prose')\n```\n<!-- hidden -->\n"
    sa = split_one(text, tiny_rubric, nlp)
    assert _stages(sa) == [("model", "Use a CNN.")]


def test_unmatched_heading_filling_an_exact_gap_takes_the_missing_stage(tiny_rubric, nlp):
    text = "## Requirements\nAsk.\n\n## What we build\nA CNN.\n\n## Launch\nWatch.\n\n## Summary\nDone.\n"
    sa = split_one(text, tiny_rubric, nlp)
    assert [s.stage for s in sa.sentences] == ["clarify", "model", "monitoring", None]


def test_a_list_is_not_a_heading(tiny_rubric, nlp):
    text = "## Model\n- Model drift\n- Model size\n\nWe watch both.\n"
    sa = split_one(text, tiny_rubric, nlp)
    assert {s.stage for s in sa.sentences} == {"model"}


def test_sentence_offsets_point_into_the_text(tiny_rubric, nlp):
    text = "## Model\nWe use a **deep** CNN. It is *pretrained*.\n\n- Flip photos\n  and crop them.\n"
    sa = split_one(text, tiny_rubric, nlp)
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
    sa = split_one(text, tiny_rubric, nlp)
    for s in sa.sentences:
        assert 0 <= s.start <= s.end <= len(text)
        assert s.stage in (None, "clarify", "model", "monitoring")


def _constraints(sa):
    return [(s.candidates, s.forced_none, s.text) for s in sa.sentences]


def test_two_stage_heading_allows_both_and_decides_neither(default_rubric, nlp):
    sa = split_one("## Model + training\nWe use trees. We retrain weekly.\n", default_rubric, nlp)
    assert [(s.stage, s.candidates, s.method) for s in sa.sentences] == [
        (None, ("model", "training"), None), (None, ("model", "training"), None)]


def test_summary_and_contents_headings_belong_to_no_stage(default_rubric, nlp):
    text = "## Data\nLogs.\n\n## Summary\nTrees and logs.\n\n## Appendix\n"
    sa = split_one(text, default_rubric, nlp)
    assert [(s.stage, s.forced_none, s.method) for s in sa.sentences] == [
        ("data_features", False, "heading"), (None, True, "heading")]
    assert sa.headings == [("Data", "data_features"), ("Summary", None), ("Appendix", None)]


def test_table_of_contents_is_not_prose_nor_sections(default_rubric, nlp):
    text = ("1. Clarify\n2. Data\n3. Model\n4. Serving\n\nIntro here.\n\n"
            "- [Scope](#scope)\n- [Model](#model)\n- [Launch](#launch)\n\n## Model\nTrees.\n")
    sa = split_one(text, default_rubric, nlp)
    assert [(s.stage, s.text) for s in sa.sentences] == [(None, "Intro here."), ("model", "Trees.")]


def test_an_outline_list_is_not_a_table_of_contents(default_rubric, nlp):
    text = "1. Data\n   - impression logs\n2. Model\n   - gradient boosted trees\n3. Serving\n   - a cache\n"
    sa = split_one(text, default_rubric, nlp)
    assert [(s.stage, s.text) for s in sa.sentences] == [
        ("data_features", "impression logs"), ("model", "gradient boosted trees"), ("serving", "a cache")]


def test_label_lines_emoji_steps_and_html(default_rubric, nlp):
    text = ("Step 1: Clarify the scope\n\nHow many users?\n\n"
            "📊 Data and features\n\nClick logs.\n\n"
            "**🧠 Model**\nA two-tower net.\n\n"
            "Serving:\nA cache in front.\n\n"
            "<h2>Monitoring</h2>\n<p>Watch drift &amp; alerts.</p>\n\n"
            "<!-- a comment, not prose -->\n")
    sa = split_one(text, default_rubric, nlp)
    assert [(s.stage, s.text) for s in sa.sentences] == [
        ("clarify", "How many users?"), ("data_features", "Click logs."), ("model", "A two-tower net."),
        ("serving", "A cache in front."), ("monitoring", "Watch drift & alerts.")]


def test_bold_labels_in_list_items_head_their_content(default_rubric, nlp):
    text = ("1. **Clarify**\n   We ask about scale.\n2. **Data**\n   - click logs\n   - user features\n"
            "3. **Training**\n   Retrain daily.\n")
    sa = split_one(text, default_rubric, nlp)
    assert [(s.stage, s.text) for s in sa.sentences] == [
        ("clarify", "We ask about scale."), ("data_features", "click logs"), ("data_features", "user features"),
        ("training", "Retrain daily.")]


def test_run_in_labels_keep_their_words_and_defer_to_a_stage_heading(default_rubric, nlp):
    text = ("**Clarify.** We ask about scale.\n\n**Data.** We log clicks.\n\n"
            "## Model\n\n- **Latency**: the ranker takes 20 ms.\n")
    sa = split_one(text, default_rubric, nlp)
    assert [(s.stage, s.heading, s.text) for s in sa.sentences] == [
        ("clarify", "Clarify", "Clarify."), ("clarify", "Clarify", "We ask about scale."),
        ("data_features", "Data", "Data."), ("data_features", "Data", "We log clicks."),
        ("model", "Model", "Latency: the ranker takes 20 ms.")]


def test_a_subheading_naming_another_stage_lets_the_content_decide(default_rubric, nlp):
    text = ("## Clarify\nAsk.\n\n### Scale and latency\nA billion users.\n\n## Data\nLogs.\n\n"
            "## Model\nTrees.\n")
    sa = split_one(text, default_rubric, nlp)
    assert [s.candidates for s in sa.sentences] == [("clarify",), ("clarify", "serving"), ("data_features",),
                                                   ("model",)]


def test_tables_are_one_sentence_per_row(default_rubric, nlp):
    text = "## Features\n\n| group | examples |\n|---|---|\n| user | age, country |\n"
    sa = split_one(text, default_rubric, nlp)
    assert [s.text for s in sa.sentences] == ["group; examples", "user; age, country"]
    assert {s.stage for s in sa.sentences} == {"data_features"}


_MARKDOWN = st.lists(st.sampled_from([
    "# ", "## ", "### ", "\n", "\n\n", "- ", "1. ", "3) ", "**", "__", "*", "`", "```\n", "> ", "| ", " |", "---",
    "===", "<h2>", "</h2>", "<!-- ", " -->", "<p>", "[", "](#x)", ":", ". ", "? ", "🎯 ", "Step 2: ", "Data",
    "Model + training", "Summary", "Contents", "model", "we log clicks", "serving", "   ", "&amp;", "\t",
]), max_size=60).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_MARKDOWN, st.text(max_size=200)))
def test_parser_and_inference_never_crash_on_markdown_shapes(default_rubric, nlp, text):
    from grader.embedding.cache import embed_texts
    from grader.embedding.hashing import HashingEmbedder
    from grader.pipeline.stages import infer_stages, prototype_texts, stage_prototypes

    sa = split_one(text, default_rubric, nlp)
    for s in sa.sentences:
        assert 0 <= s.start <= s.end <= len(text)
        assert set(s.candidates) <= set(default_rubric.stage_ids)
    table = embed_texts([s.text for s in sa.sentences] + prototype_texts(default_rubric), HashingEmbedder(), None)
    q = default_rubric.question("q01")
    out = infer_stages(sa, default_rubric.stages, stage_prototypes(default_rubric, q),
                       default_rubric.sections.inference, table)
    for before, after in zip(sa.sentences, out.sentences):
        assert after.stage is None or after.stage in default_rubric.stage_ids
        assert after.method in ("heading", "inferred")
        if before.candidates:
            assert after.stage in before.candidates
        if before.forced_none:
            assert after.stage is None


# ------------------------------------------------------------------------------------------- transcripts


def _read_vtt(tmp_path, vtt):
    return read_answer(write_files(tmp_path, {"a.vtt": vtt})[0], max_bytes=10_000)


def test_only_the_candidates_turns_are_prose_with_times(tmp_path, tiny_rubric, nlp):
    sa = split_one(_read_vtt(tmp_path, INTERVIEW_VTT), tiny_rubric, nlp)
    assert [s.text for s in sa.sentences] == ["First I ask how many photos arrive per day.",
                                              "Then I use a CNN & watch drift."]
    assert [(s.t_start, s.t_end) for s in sa.sentences] == [(5.0, 15.0), (15.0, 35.0)]
    assert [s.block for s in sa.sentences] == [1, 2]  # cues are the paragraphs of a transcript


def test_times_are_interpolated_inside_a_cue(tmp_path, tiny_rubric, nlp):
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:10.000\nOne two three four. Five six seven eight.\n"
    sa = split_one(_read_vtt(tmp_path, vtt), tiny_rubric, nlp)
    (a0, a1), (b0, b1) = [(s.t_start, s.t_end) for s in sa.sentences]
    assert a0 == 0.0 and b1 == 10.0 and 4.0 < a1 <= b0 < 6.0


def test_unpunctuated_captions_are_cut_at_cue_boundaries(tmp_path, tiny_rubric, nlp):
    cues = ["so first I would ask about the scale of the photo uploads per day and the latency",
            "then for the model I would use a convolutional network pretrained on imagenet data",
            "and after launch we watch the share of cat predictions for drift every single week"]
    vtt = "WEBVTT\n\n" + "".join(f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 2:02d}.000\n{c}\n\n"
                                 for i, c in enumerate(cues))
    sa = split_one(_read_vtt(tmp_path, vtt), tiny_rubric, nlp)
    assert [s.text for s in sa.sentences] == cues


_CUE_TEXT = st.text(alphabet=st.sampled_from(list("ab .,:>-<v/\n0123456789WEBVT")), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 30), _CUE_TEXT), max_size=8))
def test_well_formed_vtt_always_parses_and_splits(tiny_rubric, nlp, cues):
    def stamp(t):
        return f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}.000"
    starts = sorted(c[0] for c in cues)
    body = "".join(f"{stamp(t)} --> {stamp(t + d)}\n{' '.join(txt.split()) or 'x'}\n\n"
                   for t, (_, d, txt) in zip(starts, cues))
    try:
        text, segments = parse_transcript("WEBVTT\n\n" + body, "vtt", "x.vtt")
    except GraderError as exc:
        assert "no spoken text" in str(exc) or "timing line" in str(exc)
        return
    sa = split_one(Answer(path="x.vtt", text=text, format="vtt", segments=segments), tiny_rubric, nlp)
    for s in sa.sentences:
        assert 0 <= s.start <= s.end <= len(text)
        assert s.t_start is not None and s.t_start <= s.t_end


def test_overlapping_cues_never_end_a_sentence_before_it_starts(tiny_rubric, nlp):
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n:0\n\n00:00:00.000 --> 00:00:00.000\nx\n"
    text, segments = parse_transcript(vtt, "vtt", "a.vtt")
    sa = split_one(Answer(path="a.vtt", text=text, format="vtt", segments=segments), tiny_rubric, nlp)
    assert all(s.t_start <= s.t_end for s in sa.sentences)

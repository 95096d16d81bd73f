"""Spoken answers: WebVTT, SubRip, Whisper JSON and plain-text transcripts."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.errors import GraderError
from grader.inputs.answers import read_answer
from grader.models import Answer
from grader.pipeline.sections import split_sections
from grader.inputs.transcripts import parse_transcript, text_transcript

VTT = """WEBVTT

NOTE recorded mock interview

1
00:00:00.000 --> 00:00:04.000
<v Interviewer>Design a cat detector.</v>

2
00:00:05.000 --> 00:00:15.000 align:start
<v Candidate>First I <i>ask</i> how many photos arrive per day.</v>

3
00:00:15.000 --> 00:00:35.000
<v Candidate>Then I use a CNN &amp; watch drift.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:03,500
- So first the scope.

2
00:00:04,000 --> 00:00:09,000
<i>Then the model.</i>
"""


def _write(tmp_path, name, content):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    return p


def _split(answer, rubric, nlp):
    return split_sections([answer], rubric.stages, nlp, rubric.sections)[0]


def test_vtt_text_speakers_and_segments(tmp_path):
    a = read_answer(_write(tmp_path, "a.vtt", VTT), max_bytes=10_000)
    assert a.format == "vtt" and a.is_transcript and a.question_id is None
    assert a.text == ("Design a cat detector.\n\nFirst I ask how many photos arrive per day.\n"
                      "Then I use a CNN & watch drift.\n")
    assert [(s.speaker, s.t_start, s.t_end) for s in a.segments] == [
        ("interviewer", 0.0, 4.0), ("candidate", 5.0, 15.0), ("candidate", 15.0, 35.0)]
    assert [a.text[s.start:s.end] for s in a.segments][1] == "First I ask how many photos arrive per day."


def test_only_the_candidates_turns_are_prose_with_times(tmp_path, tiny_rubric, nlp):
    sa = _split(read_answer(_write(tmp_path, "a.vtt", VTT), max_bytes=10_000), tiny_rubric, nlp)
    assert [s.text for s in sa.sentences] == ["First I ask how many photos arrive per day.",
                                              "Then I use a CNN & watch drift."]
    assert [(s.t_start, s.t_end) for s in sa.sentences] == [(5.0, 15.0), (15.0, 35.0)]
    assert [s.block for s in sa.sentences] == [1, 2]  # cues are the paragraphs of a transcript


def test_times_are_interpolated_inside_a_cue(tmp_path, tiny_rubric, nlp):
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:10.000\nOne two three four. Five six seven eight.\n"
    sa = _split(read_answer(_write(tmp_path, "a.vtt", vtt), max_bytes=10_000), tiny_rubric, nlp)
    (a0, a1), (b0, b1) = [(s.t_start, s.t_end) for s in sa.sentences]
    assert a0 == 0.0 and b1 == 10.0 and 4.0 < a1 <= b0 < 6.0


def test_srt_and_dialogue_dashes(tmp_path):
    a = read_answer(_write(tmp_path, "a.srt", SRT), max_bytes=10_000)
    assert a.text == "So first the scope.\nThen the model.\n"
    assert [(s.t_start, s.t_end) for s in a.segments] == [(1.0, 3.5), (4.0, 9.0)]


def test_whisper_json(tmp_path):
    data = {"text": "...", "segments": [{"start": 0, "end": 2.5, "text": " Hello there."},
                                        {"start": 2.5, "end": 6, "text": " We log clicks.", "speaker": "SPEAKER_1"}]}
    a = read_answer(_write(tmp_path, "a.json", json.dumps(data)), max_bytes=10_000)
    assert a.format == "whisper_json" and a.text == "Hello there.\n\nWe log clicks.\n"
    assert [s.speaker for s in a.segments] == [None, "speaker_1"]


def test_plain_text_transcript_with_timestamps_and_labels(tmp_path):
    text = ("[00:00] Interviewer: Design a feed.\n[00:05] Candidate: First, the goal.\n"
            "It is retention.\n[01:30] Candidate: Then the data.\n")
    a = read_answer(_write(tmp_path, "a.txt", text), max_bytes=10_000)
    assert a.is_transcript and a.text == ("Design a feed.\n\nFirst, the goal.\nIt is retention.\n"
                                          "Then the data.\n")
    assert [(s.speaker, s.t_start, s.t_end) for s in a.segments] == [
        ("interviewer", 0.0, 5.0), ("candidate", 5.0, 90.0), ("candidate", 90.0, None)]


def test_plain_text_with_recurring_speaker_labels(tmp_path):
    text = "Alice: Design a feed.\nBob: First, the goal.\nAlice: And the data?\nBob: Click logs.\n"
    a = read_answer(_write(tmp_path, "a.txt", text), max_bytes=10_000)
    assert a.text == "Design a feed.\n\nFirst, the goal.\n\nAnd the data?\n\nClick logs.\n"
    assert {s.speaker for s in a.segments} == {"alice", "bob"} and all(s.t_start is None for s in a.segments)


@pytest.mark.parametrize("text", [
    "Goal: more watch time.\nData: click logs.\nModel: two towers.\n",  # labels, but none recurs
    "Just an answer.\nOn two lines.\n",
    "# Heading\n\nNote: this is markdown. Note: still markdown.\n",
])
def test_ordinary_text_is_not_a_transcript(text):
    assert text_transcript(text) is None


def test_rolling_captions_are_not_repeated():
    vtt = ("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nwe log clicks\n\n"
           "00:00:02.000 --> 00:00:04.000\nwe log clicks\nand impressions\n\n"
           "00:00:04.000 --> 00:00:06.000\nand impressions\n")
    text, segments = parse_transcript(vtt, "vtt", "a.vtt")
    assert text == "we log clicks\nand impressions\n" and len(segments) == 2


def test_unpunctuated_captions_are_cut_at_cue_boundaries(tmp_path, tiny_rubric, nlp):
    cues = ["so first I would ask about the scale of the photo uploads per day and the latency",
            "then for the model I would use a convolutional network pretrained on imagenet data",
            "and after launch we watch the share of cat predictions for drift every single week"]
    vtt = "WEBVTT\n\n" + "".join(f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 2:02d}.000\n{c}\n\n"
                                 for i, c in enumerate(cues))
    sa = _split(read_answer(_write(tmp_path, "a.vtt", vtt), max_bytes=10_000), tiny_rubric, nlp)
    assert [s.text for s in sa.sentences] == cues


@pytest.mark.parametrize("name, content, message", [
    ("a.vtt", "00:00:00.000 --> 00:00:01.000\nhi\n", "not a WebVTT file"),
    ("a.vtt", "WEBVTT\n\n00:00:0x.000 --> 00:00:01.000\nhi\n", "line 3: bad timestamp '00:00:0x.000'"),
    ("a.vtt", "WEBVTT\n\njust text\n", "line 3: cue without a timing line"),
    ("a.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nhi\n", "line 3: cue ends before it starts"),
    ("a.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nhi\n\n00:00:01.000 --> 00:00:02.000\nho\n",
     "cue 2 starts (1 s) before the one before it (5 s)"),
    ("a.vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v A></v>\n", "transcript has no spoken text"),
    ("a.srt", "one\n00:00:01,000 --> 00:00:02,000\nhi\n", "line 1: subtitle number 'one' is not a number"),
    ("a.srt", "1\n00:00:01 --> 00:00:02,000\nhi\n", "line 2: bad timestamp '00:00:01'"),
    ("a.json", "{not json", "invalid JSON at line 1 column 2"),
    ("a.json", "[1, 2]", "expected an object with a 'segments' list"),
    ("a.json", '{"segments": [{"start": "0", "end": 1, "text": "x"}]}', "segment 0: 'start' is missing or not a number"),
    ("a.json", '{"segments": [{"start": 0, "end": 1}]}', "segment 0: 'text' is missing or not a string"),
    ("a.json", '{"segments": [{"start": 3, "end": 1, "text": "x"}]}', "segment 0: ends (1 s) before it starts (3 s)"),
    ("a.json", '{"segments": [{"start": 0, "end": NaN, "text": "x"}]}', "segment 0: 'end' is missing or not a number"),
])
def test_bad_transcripts_get_one_line_errors_naming_the_file(tmp_path, name, content, message):
    p = _write(tmp_path, name, content)
    with pytest.raises(GraderError) as info:
        read_answer(p, max_bytes=10_000)
    text = str(info.value)
    assert text.startswith(str(p)) and message in text and "\n" not in text, text


_CUE_TEXT = st.text(alphabet=st.sampled_from(list("ab .,:>-<v/\n0123456789WEBVT")), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["vtt", "srt", "whisper_json"]), st.text(max_size=300))
def test_transcript_readers_only_raise_grader_errors(fmt, raw):
    try:
        text, segments = parse_transcript(raw, fmt, "x")
    except GraderError:
        return
    assert all(0 <= s.start <= s.end <= len(text) for s in segments)


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
    sa = _split(Answer(path="x.vtt", text=text, format="vtt", segments=segments), tiny_rubric, nlp)
    for s in sa.sentences:
        assert 0 <= s.start <= s.end <= len(text)
        assert s.t_start is not None and s.t_start <= s.t_end


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab :[]()0123456789\nABSpeakr_")), max_size=300))
def test_text_transcript_detection_never_crashes(raw):
    result = text_transcript(raw)
    if result is not None:
        text, segments = result
        assert all(0 <= s.start <= s.end <= len(text) for s in segments)


def test_overlapping_cues_never_end_a_sentence_before_it_starts(tiny_rubric, nlp):
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n:0\n\n00:00:00.000 --> 00:00:00.000\nx\n"
    text, segments = parse_transcript(vtt, "vtt", "a.vtt")
    sa = _split(Answer(path="a.vtt", text=text, format="vtt", segments=segments), tiny_rubric, nlp)
    assert all(s.t_start <= s.t_end for s in sa.sentences)

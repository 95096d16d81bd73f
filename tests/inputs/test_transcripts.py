"""Spoken answers: WebVTT, SubRip, Whisper JSON and plain-text transcripts read into text and timed segments
(their sentences and times: tests/pipeline/test_sections.py)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.errors import GraderError
from grader.inputs.answers import read_answer
from grader.models import InputWarning
from grader.inputs.transcripts import parse_transcript, text_transcript

from helpers import INTERVIEW_VTT

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


def test_vtt_text_speakers_and_segments(tmp_path):
    a = read_answer(_write(tmp_path, "a.vtt", INTERVIEW_VTT), max_bytes=10_000)
    assert a.format == "vtt" and a.is_transcript and a.question_id is None
    assert a.text == ("Design a cat detector.\n\nFirst I ask how many photos arrive per day.\n"
                      "Then I use a CNN & watch drift.\n")
    assert [(s.speaker, s.t_start, s.t_end) for s in a.segments] == [
        ("interviewer", 0.0, 4.0), ("candidate", 5.0, 15.0), ("candidate", 15.0, 35.0)]
    assert [a.text[s.start:s.end] for s in a.segments][1] == "First I ask how many photos arrive per day."


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


# Line 6 starts a block without a timing line (a caption split by a stray blank line, say): dropped, as browsers do.
VTT_ONE_BROKEN = """WEBVTT

00:00:00.000 --> 00:00:04.000
<v Interviewer>Design a cat detector.</v>

2
a lost caption line

00:00:05.000 --> 00:00:15.000
<v Candidate>First I ask how many photos arrive per day.</v>
"""

SRT_ONE_BROKEN = SRT.replace("\n\n2\n", "\n\n3\n00:00:0x,000 --> 00:00:04,000\nlost\n\n2\n")


def test_vtt_block_without_timing_is_skipped_with_a_warning(tmp_path):
    p = _write(tmp_path, "talk.vtt", VTT_ONE_BROKEN)
    a = read_answer(p, max_bytes=10_000)
    assert a.text == "Design a cat detector.\n\nFirst I ask how many photos arrive per day.\n"
    assert a.warnings == [InputWarning(path=str(p), line=6, message="skipped a block without a timing line")]
    assert str(a.warnings[0]) == f"{p}:6: skipped a block without a timing line"
    assert "warnings" not in a.model_dump_json()  # not in the report cache key


def test_srt_broken_entry_is_skipped_with_a_warning(tmp_path):
    p = _write(tmp_path, "talk.srt", SRT_ONE_BROKEN)
    a = read_answer(p, max_bytes=10_000)
    assert a.text == "So first the scope.\nThen the model.\n"
    assert [str(w) for w in a.warnings] == [f"{p}:6: skipped a cue with a bad timestamp '00:00:0x,000'"]


@pytest.mark.parametrize("fmt, block, line, warning", [  # the good cue is lines 1-4 (vtt) or 1-3 (srt)
    ("vtt", "00:00:09.000 --> 00:00:08.000\nback\n", 6, "skipped a cue that ends before it starts"),
    ("vtt", "00:00:09.000 -> 00:00:10.000\nx\n", 6, "skipped a block without a timing line"),
    ("vtt", "id\n00:00:09.000 -->\nx\n", 7, "skipped a cue with a bad timing line '00:00:09.000 -->'"),
    ("srt", "x\n00:00:09,000 --> 00:00:10,000\nx\n", 5, "skipped an entry whose number 'x' is not a number"),
    ("srt", "just text\n", 5, "skipped an entry without a timing line"),
])
def test_each_kind_of_malformed_block_is_skipped(fmt, block, line, warning):
    good = "00:00:01.000 --> 00:00:02.000\nkept\n" if fmt == "vtt" else "1\n00:00:01,000 --> 00:00:02,000\nkept\n"
    raw = ("WEBVTT\n\n" if fmt == "vtt" else "") + good + "\n" + block
    warnings: list[InputWarning] = []
    text, _ = parse_transcript(raw, fmt, "t", warnings)
    assert text == "kept\n" and [str(w) for w in warnings] == [f"t:{line}: {warning}"]


@pytest.mark.parametrize("name, content, message", [
    ("a.vtt", "WEBVTT\n\njust text\n\n00:00:0x.000 --> 00:00:01.000\nhi\n",
     "line 3: cue without a timing line (start --> end); no valid cue (2 malformed blocks)"),
    ("a.srt", "text\n\nmore text\n",
     "line 1: subtitle block without a timing line (start --> end); no valid cue (2 malformed blocks)"),
    ("a.srt", "1\n00:00:01 --> 00:00:02,000\nhi\n", "line 2: bad timestamp '00:00:01'; no valid cue"),
])
def test_no_valid_cue_is_refused_in_one_line(tmp_path, name, content, message):
    p = _write(tmp_path, name, content)
    with pytest.raises(GraderError) as info:
        read_answer(p, max_bytes=10_000)
    assert str(info.value) == f"{p}: {message}"


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


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["vtt", "srt", "whisper_json"]), st.text(max_size=300))
def test_transcript_readers_only_raise_grader_errors(fmt, raw):
    try:
        text, segments = parse_transcript(raw, fmt, "x")
    except GraderError:
        return
    assert all(0 <= s.start <= s.end <= len(text) for s in segments)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab :[]()0123456789\nABSpeakr_")), max_size=300))
def test_text_transcript_detection_never_crashes(raw):
    result = text_transcript(raw)
    if result is not None:
        text, segments = result
        assert all(0 <= s.start <= s.end <= len(text) for s in segments)

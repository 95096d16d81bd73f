"""Reading answer files: front matter, encodings, one-line errors naming the file, the size limit, and
expanding files, folders and globs."""

import codecs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.errors import GraderError
from grader.inputs.answers import decode, expand_paths, read_answer, split_front_matter
from grader.models import RunConfig

from helpers import ANSWER_SUFFIXES, ANSWER_TEXTS

LIMIT = 10_000


def test_front_matter_names_the_question(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("---\nquestion: q05\ncandidate: ann\n---\n# Hi\nBody text.\n")
    a = read_answer(p, max_bytes=LIMIT)
    assert a.question_id == "q05" and a.front_matter["candidate"] == "ann"
    assert a.text == "# Hi\nBody text.\n" and a.format == "markdown"


def test_trailing_tabs_in_front_matter_are_tolerated(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("---\nlayout: post\t\t\nquestion: q09 \t\ntitle: Dedup\t\n---\nBody text.\n")
    a = read_answer(p, max_bytes=LIMIT)
    assert a.question_id == "q09" and a.front_matter["layout"] == "post" and a.text == "Body text.\n"
    with pytest.raises(GraderError, match="broken front matter line 2"):  # a tab that starts a token is still refused
        split_front_matter("---\n\tkey: value\n---\nbody\n", "a.md")


def test_no_front_matter_keeps_everything(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Just text.\n---\nnot front matter\n")
    a = read_answer(p, max_bytes=LIMIT)
    assert a.question_id is None and a.text.startswith("Just text.") and a.format == "text"


@pytest.mark.parametrize("content, message", [
    (b"", "answer is empty"),
    (b"  \n\t\n", "answer is empty"),
    (b"---\nquestion: q01\n---\n   \n", "no text after front matter"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file"),
    (b"caf\xe9 au lait", "not UTF-8 text (invalid byte at offset 3)"),
    (b"---\nquestion: [q01\n---\nbody\n", "broken front matter"),
    (b"---\n- a\n- b\n---\nbody\n", "front matter is not a mapping"),
])
def test_bad_inputs_get_one_line_errors_naming_the_file(tmp_path, content, message):
    p = tmp_path / "bad.md"
    p.write_bytes(content)
    with pytest.raises(GraderError) as info:
        read_answer(p, max_bytes=LIMIT)
    text = str(info.value)
    assert message in text and text.startswith(str(p)) and "\n" not in text


def test_utf16_with_bom_is_decoded(tmp_path):
    p = tmp_path / "u16.md"
    p.write_bytes(codecs.BOM_UTF16_LE + "Clarify the goal first.\n".encode("utf-16-le"))
    assert read_answer(p, max_bytes=LIMIT).text == "Clarify the goal first.\n"


def test_utf8_bom_and_crlf_are_normalised(tmp_path):
    p = tmp_path / "bom.md"
    p.write_bytes(codecs.BOM_UTF8 + b"---\r\nquestion: q02\r\n---\r\nLine one.\r\nLine two.\r\n")
    a = read_answer(p, max_bytes=LIMIT)
    assert a.question_id == "q02" and a.text == "Line one.\nLine two.\n"


def test_size_limit(tmp_path):
    p = tmp_path / "big.md"
    p.write_text("word " * 3000)
    with pytest.raises(GraderError, match="over the 10,000-byte limit"):
        read_answer(p, max_bytes=LIMIT)


def test_unsupported_suffix(tmp_path):
    p = tmp_path / "a.pdf"
    p.write_text("x")
    with pytest.raises(GraderError, match="unsupported file type '.pdf'"):
        read_answer(p, max_bytes=LIMIT)


def test_expand_paths_files_folders_globs(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    for name in ("d/b.md", "d/sub/a.txt", "d/ignore.json", "c.md"):
        (tmp_path / name).write_text("x")
    files, errors = expand_paths([str(tmp_path / "d"), str(tmp_path / "*.md"), str(tmp_path / "c.md")])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["c.md", "d/b.md", "d/sub/a.txt"]
    assert errors == []


def test_expand_paths_reports_each_bad_spec(tmp_path):
    (tmp_path / "empty").mkdir()
    files, errors = expand_paths([str(tmp_path / "nope.md"), str(tmp_path / "*.zzz"), str(tmp_path / "empty")])
    assert files == []
    assert [e.message for e in errors] == ["no such file or folder", "glob matched no file",
                                           "folder has no answer files (.markdown, .md, .srt, .txt, .vtt)"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_front_matter_split_never_crashes_unexpectedly(text):
    try:
        front, body = split_front_matter(text, "x.md")
    except GraderError:
        return
    assert isinstance(front, dict) and text.endswith(body)


def test_expand_paths_reports_each_unusable_spec_once(tmp_path):
    (tmp_path / "empty").mkdir()
    files, errors = expand_paths([str(tmp_path / "empty"), str(tmp_path / "empty"), str(tmp_path / "*.zz")])
    assert files == [] and [e.message for e in errors] == [
        "folder has no answer files (.markdown, .md, .srt, .txt, .vtt)", "glob matched no file"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300) | ANSWER_TEXTS.map(str.encode), suffix=ANSWER_SUFFIXES)
def test_read_answer_on_any_bytes_only_raises_grader_errors(tmp_path, raw, suffix):
    p = tmp_path / f"x{suffix}"
    p.write_bytes(raw)
    try:
        a = read_answer(p, max_bytes=RunConfig().max_bytes)
    except GraderError as exc:
        assert str(exc).startswith(str(p)) and "\n" not in str(exc)
        return
    assert a.text.strip() and "\r" not in a.text and "\x00" not in a.text
    assert all(0 <= s.start <= s.end <= len(a.text) for s in a.segments)


@settings(max_examples=150, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
       codec=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_decode_round_trips_every_supported_encoding(text, codec):
    raw = text.encode(codec)
    if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        return  # a text starting with U+FEFF: the reader takes it for a BOM, as editors do
    assert decode(raw, "x") == text.replace("\r\n", "\n").replace("\r", "\n")

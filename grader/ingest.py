"""Read answers from disk: expand files / folders / globs, decode, split off YAML front matter, and read
transcripts (.vtt, .srt, Whisper .json, and .txt files that look like transcripts) via `grader.transcripts`.

Everything that can go wrong with an input raises `GraderError` naming the file, so a batch can record it
and go on with the other answers.
"""

from __future__ import annotations

import codecs
import glob
import re
from pathlib import Path

import yaml

from grader.errors import GraderError
from grader.models import Answer, Segment
from grader.transcripts import parse_transcript, text_transcript

ANSWER_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".vtt": "vtt", ".srt": "srt",
                   ".json": "whisper_json"}

TRANSCRIPT_FORMATS = ("vtt", "srt", "whisper_json")
#: What a folder scan picks up: every answer suffix but .json, which a folder may hold for other reasons
#: (reports, datasets); name Whisper .json files explicitly or with a glob.
FOLDER_SUFFIXES = {k: v for k, v in ANSWER_SUFFIXES.items() if k != ".json"}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def expand_paths(specs: list[str]) -> tuple[list[Path], list[GraderError]]:
    """Files, folders (their answer files, recursively) and globs -> sorted unique files, plus one error per
    spec that named nothing usable."""
    found: set[Path] = set()
    errors: list[GraderError] = []
    for spec in specs:
        if glob.has_magic(spec):
            matches = [Path(p) for p in glob.glob(spec, recursive=True)]
            files = [p for p in matches if p.is_file()]
            if not files:
                errors.append(GraderError("glob matched no file", path=spec))
            found.update(files)
        else:
            p = Path(spec)
            if p.is_dir():
                files = [f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in FOLDER_SUFFIXES]
                if not files:
                    kinds = ", ".join(sorted(FOLDER_SUFFIXES))
                    errors.append(GraderError(f"folder has no answer files ({kinds})", path=spec))
                found.update(files)
            elif p.exists():
                found.add(p)
            else:
                errors.append(GraderError("no such file or folder", path=spec))
    return sorted(found, key=lambda p: p.as_posix()), errors


def read_answer(path: Path, *, max_bytes: int) -> Answer:
    """Read one answer file into an `Answer` (front matter parsed, text decoded)."""
    name = path.as_posix()
    fmt = ANSWER_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        kinds = ", ".join(sorted(ANSWER_SUFFIXES))
        raise GraderError(f"unsupported file type {path.suffix or '(none)'!r}; answers are {kinds}", path=name)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise GraderError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit", path=name)
        raw = path.read_bytes()
    except OSError as exc:
        raise GraderError(f"cannot read file: {exc.strerror or exc}", path=name) from None
    text = decode(raw, name)
    if not text.strip():
        raise GraderError("answer is empty", path=name)
    if fmt in TRANSCRIPT_FORMATS:
        body, segments = parse_transcript(text, fmt, name)
        return Answer(path=name, text=body, format=fmt, segments=segments)
    front, body = split_front_matter(text, name)
    if not body.strip():
        raise GraderError("answer has no text after front matter", path=name)
    question = front.get("question")
    segments: list[Segment] = []
    if fmt == "text":
        spoken = text_transcript(body)
        if spoken is not None:
            body, segments = spoken
    return Answer(path=name, text=body, format=fmt, front_matter=front, question_id=question, segments=segments)


def decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused with the reason."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise GraderError("invalid UTF-16 text", path=name) from None
    if b"\x00" in raw:
        raise GraderError("binary file (contains NUL bytes), not an answer", path=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GraderError(
            f"not UTF-8 text (invalid byte at offset {exc.start})", path=name, hint="re-save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, name: str) -> tuple[dict[str, str], str]:
    """`---` YAML front matter at the very top -> (mapping of strings, the rest)."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    try:
        data = yaml.safe_load(m.group(1) or "") or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 2}" if mark is not None else ""
        raise GraderError(f"broken front matter{where}: {getattr(exc, 'problem', None) or exc}", path=name) from None
    if not isinstance(data, dict):
        raise GraderError("front matter is not a mapping of keys to values", path=name)
    front = {str(k): str(v) for k, v in data.items() if v is not None and not isinstance(v, (dict, list))}
    return front, text[m.end():]

"""Read answers from disk: expand files / folders / globs, decode, split off YAML front matter, and read
transcripts (.vtt, .srt, Whisper .json, and .txt files that look like transcripts) via `grader.inputs.transcripts`.

Everything that can go wrong with an input raises `GraderError` naming the file, so a batch can record it
and go on with the other answers.
"""

from __future__ import annotations

import codecs
import errno
import glob
import os
import re
import stat
from pathlib import Path

import yaml

from grader.errors import GraderError
from grader.models import Answer, InputWarning, Segment
from grader.inputs.transcripts import parse_transcript, text_transcript

ANSWER_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".vtt": "vtt", ".srt": "srt",
                   ".json": "whisper_json"}

TRANSCRIPT_FORMATS = ("vtt", "srt", "whisper_json")
#: What a folder scan picks up: every answer suffix but .json, which a folder may hold for other reasons
#: (reports, datasets); name Whisper .json files explicitly or with a glob.
FOLDER_SUFFIXES = {k: v for k, v in ANSWER_SUFFIXES.items() if k != ".json"}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def expand_paths(specs: list[str], exclude: str | Path | None = None) -> tuple[list[Path], list[GraderError]]:
    """Files, folders (their answer files, recursively) and globs -> sorted unique files, plus one error per
    spec that named nothing usable and per folder that could not be read.

    A spec that exists as written is that file or folder, even when its name has glob characters
    (`answer[1].md`). `exclude` (the output folder) is skipped by folder scans and globs that start outside it,
    so a rerun does not grade its own reports; a file named explicitly is never skipped."""
    found: set[Path] = set()
    errors: list[GraderError] = []
    skip = _real(exclude) if exclude is not None else None
    for spec in specs:
        if glob.has_magic(spec) and not os.path.lexists(spec):
            matches = [Path(p) for p in glob.glob(spec, recursive=True)]
            inside = skip is not None and _within(_real(_glob_root(spec)), skip)
            files = [p for p in matches if _is_file(p) is not False
                     and (skip is None or inside or not _within(_real(p), skip))]
            if not files:
                errors.append(GraderError("glob matched no file", path=display_name(spec)))
            found.update(files)
            continue
        p = Path(spec)
        try:
            st = p.stat()
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                errors.append(GraderError("no such file or folder", path=display_name(spec)))
            else:
                errors.append(GraderError(f"cannot read: {exc.strerror or exc}", path=display_name(spec)))
            continue
        if stat.S_ISDIR(st.st_mode):
            files, unreadable = _scan_folder(p, None if skip is None or _within(_real(p), skip) else skip)
            errors.extend(unreadable)
            if not files and not unreadable:
                kinds = ", ".join(sorted(FOLDER_SUFFIXES))
                errors.append(GraderError(f"folder has no answer files ({kinds})", path=display_name(spec)))
            found.update(files)
        else:
            found.add(p)
    unique = list({str(e): e for e in errors}.values())  # a folder both named and scanned is reported once
    return sorted(found, key=lambda p: p.as_posix()), unique


def _scan_folder(root: Path, skip: str | None) -> tuple[list[Path], list[GraderError]]:
    """Answer files under `root` (not following links to folders), and an error per folder that cannot be
    listed (rather than silently grading less)."""
    files: list[Path] = []
    unreadable: list[GraderError] = []

    def failed(exc: OSError) -> None:
        unreadable.append(GraderError(f"cannot read folder: {exc.strerror or exc}",
                                      path=display_name(exc.filename or root)))

    for dirpath, dirnames, filenames in os.walk(root, onerror=failed):
        if skip is not None:
            dirnames[:] = [d for d in dirnames if _real(os.path.join(dirpath, d)) != skip]
        for name in filenames:
            f = Path(dirpath) / name
            # unreadable entries stay in: read_answer reports why
            if f.suffix.lower() in FOLDER_SUFFIXES and _is_file(f) is not False:
                files.append(f)
    return files, unreadable


def _is_file(p: Path) -> bool | None:
    """A regular file (or a link to one); None when it cannot be told (no permission)."""
    try:
        return stat.S_ISREG(p.stat().st_mode)
    except OSError as exc:
        return False if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP) else None


def _real(p: str | Path) -> str:
    return os.path.realpath(p)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _glob_root(spec: str) -> str:
    """The folder a glob starts from: its leading parts without glob characters."""
    parts = []
    for part in Path(spec).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return str(Path(*parts)) if parts else "."


def display_name(path: str | Path) -> str:
    """The path as reports show it. A file name that is not valid UTF-8 (its bytes arrive as lone surrogates)
    gets `\\xNN` escapes: reports are UTF-8, and two such names stay distinct."""
    name = path.as_posix() if isinstance(path, Path) else path
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name decodes to
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def read_answer(path: Path, *, max_bytes: int) -> Answer:
    """Read one answer file into an `Answer` (front matter parsed, text decoded); a transcript's skipped blocks
    are in `Answer.warnings`."""
    name = display_name(path)
    fmt = ANSWER_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        kinds = ", ".join(sorted(ANSWER_SUFFIXES))
        raise GraderError(f"unsupported file type {path.suffix or '(none)'!r}; answers are {kinds}", path=name)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever, a device never end
            raise GraderError("not a regular file (a folder, pipe or device)", path=name)
        size = st.st_size
        if size > max_bytes:
            raise GraderError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit", path=name)
        raw = path.read_bytes()
    except OSError as exc:
        raise GraderError(f"cannot read file: {exc.strerror or exc}", path=name) from None
    text = decode(raw, name)
    if not text.strip():
        raise GraderError("answer is empty", path=name)
    if fmt in TRANSCRIPT_FORMATS:
        warnings: list[InputWarning] = []
        body, segments = parse_transcript(text, fmt, name, warnings)
        return Answer(path=name, text=body, format=fmt, segments=segments, warnings=warnings)
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


def decode(raw: bytes, name: str, what: str = "an answer") -> str:
    """UTF-8 (with or without BOM), UTF-16 or UTF-32 with a BOM; anything else is refused with the reason (a
    binary file: "not <what>")."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE starts both
        text = _decode_bom(raw, "utf-32", name)
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_bom(raw, "utf-16", name)
    else:
        if b"\x00" in raw:
            if _looks_utf16(raw):
                raise GraderError("UTF-16 text without a byte-order mark", path=name,
                                  hint="re-save the file as UTF-8, or as UTF-16 with a BOM")
            raise GraderError(f"binary file (contains NUL bytes), not {what}", path=name)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GraderError(
                f"not UTF-8 text (invalid byte at offset {exc.start})", path=name, hint="re-save the file as UTF-8"
            ) from None
    if "\x00" in text:
        raise GraderError(f"binary file (contains NUL characters), not {what}", path=name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_bom(raw: bytes, codec: str, name: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        raise GraderError(f"invalid {codec.upper()} text", path=name) from None


def _looks_utf16(raw: bytes) -> bool:
    """Mostly ASCII text in UTF-16 without a BOM: every other byte is NUL, the others are not."""
    if len(raw) < 4 or len(raw) % 2:
        return False
    for zeros, chars in ((raw[1::2], raw[0::2]), (raw[0::2], raw[1::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and chars.count(0) == 0:
            return True
    return False


def split_front_matter(text: str, name: str) -> tuple[dict[str, str], str]:
    """`---` YAML front matter at the very top -> (mapping of strings, the rest). Trailing spaces and tabs on its
    lines are dropped first ("layout: post<TAB>" is common in blog posts and YAML refuses the tab)."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    block = "\n".join(line.rstrip(" \t") for line in (m.group(1) or "").split("\n"))
    try:
        data = yaml.safe_load(block) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 2}" if mark is not None else ""
        raise GraderError(f"broken front matter{where}: {getattr(exc, 'problem', None) or exc}", path=name) from None
    if not isinstance(data, dict):
        raise GraderError("front matter is not a mapping of keys to values", path=name)
    front = {str(k): str(v) for k, v in data.items() if v is not None and not isinstance(v, (dict, list))}
    return front, text[m.end():]

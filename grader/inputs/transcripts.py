"""Read spoken answers: WebVTT, SubRip, Whisper-style JSON, and plain-text transcripts.

Every reader turns a file into cues (time span, speaker, text); `assemble` lays the cues out as the answer's
text (one line per cue, a blank line between speaker turns) and records each cue as a `Segment` with its
character offsets, so sentences can be given times later. Speaker labels ("Interviewer:", "SPEAKER_01:",
`<v Alice>`) are removed from the text and kept on the segment.

As the formats' own parsers (and browsers) do, a WebVTT block or SubRip entry that is malformed (no timing
line, a bad timestamp, a cue that ends before it starts, a SubRip number that is not a number) is skipped with
an `InputWarning` naming its line, and the rest is read. A file with no valid cue, or that breaks the format as
a whole, raises `GraderError` naming the problem and where (cue number, line); a plain-text file that does not
look like a transcript is left to the markdown path.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass

from grader.errors import GraderError
from grader.models import InputWarning, Segment

_ARROW = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")
_VTT_TIME = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d)\.(\d{3})$")
_SRT_TIME = re.compile(r"^(\d+):([0-5]?\d):([0-5]\d)[,.](\d{1,3})$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")
_ROLE = (r"(?i:interviewer|interviewee|candidate|host|guest|moderator|speaker[ _]?\d+|spk[ _]?\d+|"
         r"q|a|me|you)")
# A label at the start of a line: a role word, or one to three capitalised words, then a colon.
_LABEL = re.compile(r"^\s*(?:>>\s*)?(?:\[(?P<b>[^\]\n]{1,40})\]|(?P<n>"
                    rf"{_ROLE}|[A-Z][\w'.-]*(?: [A-Z][\w'.-]*){{0,2}}))\s*:\s+")
_STAMP = re.compile(r"^\s*[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?\s*(?:[-–—|]\s*)?")


@dataclass
class Cue:
    t_start: float | None
    t_end: float | None
    speaker: str | None
    text: str


class _Malformed(Exception):
    """A block the format's parser drops: `problem` words the error when no cue is left, `skipped` the warning."""

    def __init__(self, line: int, problem: str, skipped: str) -> None:
        super().__init__(problem)
        self.line, self.problem, self.skipped = line, problem, skipped


def parse_transcript(raw: str, fmt: str, name: str,
                     warnings: list[InputWarning] | None = None) -> tuple[str, list[Segment]]:
    """`fmt` is `vtt`, `srt` or `whisper_json`: the answer text and its segments, or `GraderError`. One warning
    per skipped block is appended to `warnings` (when given)."""
    reader = {"vtt": _read_vtt, "srt": _read_srt, "whisper_json": _read_whisper}[fmt]
    skipped: list[_Malformed] = []
    cues = reader(raw, name, skipped)
    if skipped and not cues:
        first = skipped[0]
        blocks = f" ({len(skipped)} malformed blocks)" if len(skipped) > 1 else ""
        raise GraderError(f"line {first.line}: {first.problem}; no valid cue{blocks}", path=name)
    cues = _strip_labels(cues)
    cues = [c for c in cues if c.text]
    if not cues:
        raise GraderError("transcript has no spoken text", path=name)
    if warnings is not None:
        warnings.extend(InputWarning(path=name, line=m.line, message=m.skipped) for m in skipped)
    return assemble(cues)


def text_transcript(raw: str) -> tuple[str, list[Segment]] | None:
    """A plain-text transcript (lines starting with timestamps, or with recurring speaker labels) -> text and
    segments; None when the text does not look like a transcript."""
    lines = [ln for ln in raw.split("\n") if ln.strip()]
    if len(lines) < 2:
        return None
    stamped = [bool(_STAMP.match(ln)) and _stamp_seconds(_STAMP.match(ln).group(1)) is not None for ln in lines]
    if sum(stamped) >= 2 and sum(stamped) >= 0.5 * len(lines):
        cues: list[Cue] = []
        for ln in lines:
            m = _STAMP.match(ln)
            if m and _stamp_seconds(m.group(1)) is not None:
                cues.append(Cue(_stamp_seconds(m.group(1)), None, None, ln[m.end():].strip()))
            elif cues:
                cues[-1].text += "\n" + ln.strip()
            else:
                cues.append(Cue(None, None, None, ln.strip()))
        times = [c.t_start for c in cues]
        for i, c in enumerate(cues):
            nxt = next((t for t in times[i + 1:] if t is not None), None)
            c.t_end = nxt if nxt is not None and c.t_start is not None and nxt >= c.t_start else None
        if any(a is not None and b is not None and b < a for a, b in zip(times, times[1:])):
            return None  # times that go backwards are not a transcript's clock
    else:
        labels = [_label_of(ln) for ln in lines]
        named = [lab for lab in labels if lab]
        recurring = {lab for lab in named if named.count(lab) >= 2}
        if len(named) < 3 or not recurring or len(named) < 0.5 * len(lines):
            return None
        cues = [Cue(None, None, None, ln.strip()) for ln in lines]
        merged: list[Cue] = []
        for c, lab in zip(cues, labels):
            if lab is None and merged:
                merged[-1].text += "\n" + c.text
            else:
                merged.append(c)
        cues = merged
    cues = [c for c in _strip_labels(cues) if c.text]
    return assemble(cues) if cues else None


def assemble(cues: list[Cue]) -> tuple[str, list[Segment]]:
    """Cue texts one per line; a blank line where the speaker changes. Returns the text and the segments."""
    parts: list[str] = []
    segments: list[Segment] = []
    pos = 0
    prev_speaker: str | None = None
    for i, c in enumerate(cues):
        if i:
            sep = "\n\n" if c.speaker != prev_speaker and (c.speaker or prev_speaker) else "\n"
            parts.append(sep)
            pos += len(sep)
        parts.append(c.text)
        segments.append(Segment(start=pos, end=pos + len(c.text), t_start=c.t_start, t_end=c.t_end,
                                speaker=c.speaker))
        pos += len(c.text)
        prev_speaker = c.speaker
    return "".join(parts) + "\n", segments


# ------------------------------------------------------------------------------------------------ readers


def _blocks(raw: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the 1-based line number of their first line."""
    out: list[tuple[int, list[str]]] = []
    cur: list[str] = []
    first = 0
    for n, line in enumerate(raw.split("\n"), start=1):
        if line.strip():
            if not cur:
                first = n
            cur.append(line.rstrip())
        elif cur:
            out.append((first, cur))
            cur = []
    if cur:
        out.append((first, cur))
    return out


def _read_vtt(raw: str, name: str, skipped: list[_Malformed]) -> list[Cue]:
    text = raw.lstrip("\ufeff")
    if not text.startswith("WEBVTT"):
        raise GraderError("not a WebVTT file: the first line must start with WEBVTT", path=name)
    cues: list[Cue] = []
    for first, lines in _blocks(text)[1:]:
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        try:
            timing = next((k for k, ln in enumerate(lines[:2]) if "-->" in ln), None)
            if timing is None:
                raise _Malformed(first, "cue without a timing line (start --> end)",
                                 "skipped a block without a timing line")
            start, end = _timing(lines[timing], _VTT_TIME, first + timing)
        except _Malformed as m:
            skipped.append(m)
            continue
        body = "\n".join(lines[timing + 1:])
        voice = _VOICE.search(body)
        speaker = voice.group(1).strip() if voice else None
        cues.append(Cue(start, end, speaker, _clean(body)))
    _check_order(cues, name)
    return _dedupe_rolling(cues)


def _read_srt(raw: str, name: str, skipped: list[_Malformed]) -> list[Cue]:
    cues: list[Cue] = []
    blocks = _blocks(raw.lstrip("\ufeff"))
    if not blocks:
        raise GraderError("not a SubRip file: no subtitle blocks", path=name)
    for first, lines in blocks:
        try:
            timing = next((k for k, ln in enumerate(lines[:2]) if "-->" in ln), None)
            if timing is None:
                raise _Malformed(first, "subtitle block without a timing line (start --> end)",
                                 "skipped an entry without a timing line")
            if timing == 1 and not lines[0].strip().isdigit():
                number = lines[0].strip()
                raise _Malformed(first, f"subtitle number {number!r} is not a number",
                                 f"skipped an entry whose number {number!r} is not a number")
            start, end = _timing(lines[timing], _SRT_TIME, first + timing)
        except _Malformed as m:
            skipped.append(m)
            continue
        body = "\n".join(re.sub(r"^\s*-\s+", "", ln) for ln in lines[timing + 1:])
        cues.append(Cue(start, end, None, _clean(body)))
    _check_order(cues, name)
    return cues


def _read_whisper(raw: str, name: str, skipped: list[_Malformed]) -> list[Cue]:
    """Segments are checked one by one; a bad one refuses the file (`skipped` stays empty)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise GraderError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path=name) from None
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise GraderError("not a Whisper transcript: expected an object with a 'segments' list", path=name)
    cues: list[Cue] = []
    for i, seg in enumerate(data["segments"]):
        if not isinstance(seg, dict):
            raise GraderError(f"segment {i}: not an object", path=name)
        vals = []
        for key in ("start", "end"):
            v = seg.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise GraderError(f"segment {i}: {key!r} is missing or not a number", path=name)
            if v < 0:
                raise GraderError(f"segment {i}: {key!r} is negative", path=name)
            vals.append(float(v))
        if not isinstance(seg.get("text"), str):
            raise GraderError(f"segment {i}: 'text' is missing or not a string", path=name)
        if vals[1] < vals[0]:
            raise GraderError(f"segment {i}: ends ({vals[1]:g} s) before it starts ({vals[0]:g} s)", path=name)
        speaker = seg.get("speaker")
        cues.append(Cue(vals[0], vals[1], str(speaker) if speaker is not None else None,
                        " ".join(seg["text"].split())))
    _check_order(cues, name, what="segment", base=0)
    return cues


def _timing(line: str, pattern: re.Pattern[str], lineno: int) -> tuple[float, float]:
    """Start and end seconds of a timing line, or `_Malformed`."""
    m = _ARROW.match(line)
    if not m:
        bad = line.strip()
        raise _Malformed(lineno, f"bad timing line {bad!r}", f"skipped a cue with a bad timing line {bad!r}")
    times = []
    for stamp in m.groups():
        t = pattern.match(stamp)
        if not t:
            raise _Malformed(lineno, f"bad timestamp {stamp!r}", f"skipped a cue with a bad timestamp {stamp!r}")
        h, mnt, sec, frac = t.groups()
        times.append(int(h or 0) * 3600 + int(mnt) * 60 + int(sec) + int(frac.ljust(3, "0")) / 1000)
    if times[1] < times[0]:
        raise _Malformed(lineno, "cue ends before it starts", "skipped a cue that ends before it starts")
    return times[0], times[1]


def _check_order(cues: list[Cue], name: str, *, what: str = "cue", base: int = 1) -> None:
    for i in range(1, len(cues)):
        a, b = cues[i - 1].t_start, cues[i].t_start
        if a is not None and b is not None and b < a:
            raise GraderError(f"{what} {i + base} starts ({b:g} s) before the one before it ({a:g} s)", path=name)


def _clean(body: str) -> str:
    body = _TAGS.sub("", body)
    lines = [" ".join(html.unescape(ln).replace("\u00a0", " ").split()) for ln in body.split("\n")]
    return " ".join(ln for ln in lines if ln)


def _dedupe_rolling(cues: list[Cue]) -> list[Cue]:
    """Auto-captions repeat the previous cue's text at the start of the next one ("rolling" captions)."""
    out: list[Cue] = []
    for c in cues:
        if out and out[-1].text and c.text.startswith(out[-1].text) and c.text != out[-1].text:
            c = Cue(c.t_start, c.t_end, c.speaker, c.text[len(out[-1].text):].strip())
        elif out and c.text == out[-1].text:
            continue
        out.append(c)
    return out


def _label_of(line: str) -> str | None:
    m = _LABEL.match(line)
    if not m:
        return None
    return (m.group("b") or m.group("n")).strip().lower()


def _strip_labels(cues: list[Cue]) -> list[Cue]:
    """Remove speaker labels: role words always, other names when they label at least two cues."""
    labels = [_label_of(c.text) for c in cues]
    counts = {lab: labels.count(lab) for lab in labels if lab}
    out: list[Cue] = []
    speaker: str | None = None
    for c, lab in zip(cues, labels):
        text = c.text
        if lab and (counts[lab] >= 2 or re.fullmatch(_ROLE, lab)):
            text = text[_LABEL.match(text).end():]
            speaker = lab
        elif c.speaker:
            speaker = c.speaker.lower()
        text = re.sub(r"^\s*>>\s*", "", text).strip()
        out.append(Cue(c.t_start, c.t_end, c.speaker.lower() if c.speaker else speaker, text))
    return out


def _stamp_seconds(stamp: str) -> float | None:
    parts = stamp.replace(",", ".").split(":")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return None
    if any(n >= 60 for n in nums[1:]):
        return None
    total = 0.0
    for n in nums:
        total = total * 60 + n
    return total

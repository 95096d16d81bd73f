"""Where a sentence of a transcript sits among its cues: the segment it starts in, and its start and end times
(interpolated inside a cue by character position)."""

from __future__ import annotations

from grader.models import Segment


def segment_index(pos: int, segments: list[Segment]) -> int:
    """The cue holding character `pos`: in a transcript, cues play the part of paragraphs."""
    index = 0
    for k, seg in enumerate(segments):
        if seg.start <= pos:
            index = k
        else:
            break
    return index


def times(start: int, end: int, segments: list[Segment]) -> tuple[float | None, float | None]:
    """Seconds at a sentence's first and last character, interpolated inside the cues that hold them."""
    t0, t1 = time_at(start, segments), time_at(max(start, end - 1), segments, end=True)
    if t0 is not None and t1 is not None and t1 < t0:  # overlapping cues
        t1 = t0
    return t0, t1


def time_at(pos: int, segments: list[Segment], *, end: bool = False) -> float | None:
    seg = None
    for s in segments:
        if s.start <= pos:
            seg = s
        else:
            break
    if seg is None:
        seg = segments[0]
    t0 = seg.t_start
    t1 = seg.t_end if seg.t_end is not None else t0
    if t0 is None or t1 is None:
        return None
    width = max(seg.end - seg.start, 1)
    frac = min(max((pos + (1 if end else 0) - seg.start) / width, 0.0), 1.0)
    return round(t0 + frac * (t1 - t0), 3)

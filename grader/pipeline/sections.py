"""Split an answer into sentences and say, for each, which stages its headings allow.

Headings in the shapes real answers use: ATX and setext, HTML `<hN>`, numbered lines ("3. Data & Features"),
bold or emoji lines, a bold or plain label on the first line of a paragraph or list item, run-in bold labels
("**Model.** We use ..."), and list items that head nested content. A heading names the stages whose heading
phrases it contains (non-overlapping, longest first), so "Model + training" allows both; a heading in the
rubric's `none_headings` (summary, table of contents) marks text that belongs to no stage; an unmatched heading
inherits its parent's stages, or, at the main level, takes the stage of an exact gap between matched ones.
Tables of contents, code, HTML comments and markup are not prose.

Transcripts (answers with segments) have no markup: each speaker turn is a paragraph, and sentences get the
times of the cues they come from.

This module only parses; `grader.pipeline.stages.infer_stages` decides the stage of every sentence its headings do not
fix. Sentences keep character offsets into `Answer.text`.
"""

from __future__ import annotations

import bisect
import functools
import html as html_lib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.pipeline.roles import html_role, inline_role
from grader.pipeline.segments import segment_index, times
from grader.models import DEFAULT_SECTIONS, Answer, SectionedAnswer, SectionsConfig, Segment, Sentence, Stage

_HTML_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>|^(#{1,6})[ \t]+(.+?)[ \t#]*$",
                           re.IGNORECASE | re.DOTALL | re.MULTILINE)
_HTML_SKIP = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
_TAIL = re.compile(r"[*_`~)\]\"'”’.!?…:]*")  # closing markup and punctuation after the last word
_SYMBOLS = re.compile(r"^[\W_\d]*?(?=[^\W\d_])", re.UNICODE)  # emoji, bullets, numbering before the words
_MARKER = re.compile(r"^(?:step|part|stage|phase)\s+\w+\s*[:.)-]?\s*", re.IGNORECASE)
_LIST_LEVEL = 6   # a list item heading ("3. Data & features", or an item that heads nested content)
_LINE_LEVEL = 7   # a bold, emoji or plain label line
_RUNIN_LEVEL = 8  # a run-in bold label at the start of a paragraph
_LABEL_WORDS = 8  # a label line has at most this many words
_CANDIDATE_ROLES = ("candidate", "interviewee")


def split_sections(answers: Sequence[Answer], stages: Sequence[Stage], nlp: Any,
                   config: SectionsConfig = DEFAULT_SECTIONS) -> list[SectionedAnswer]:
    """Sentences with their heading constraints for each answer; all prose of the batch goes through
    `nlp.pipe` once. A sentence whose heading names exactly one stage has that stage (method `heading`)."""
    parsed = [_transcript_blocks(a) if a.is_transcript else _blocks(a.text, stages, config) for a in answers]
    flat = [b for blocks, _ in parsed for b in blocks]
    # sentences only: the lemmatizer runs later, on lower-cased sentences (grader.pipeline.detect)
    doc_iter = iter(nlp.pipe([b.text for b in flat], batch_size=256, disable=["lemmatizer"]))
    out: list[SectionedAnswer] = []
    for answer, (blocks, headings) in zip(answers, parsed):
        words = _WordIndex(answer.text)
        sentences: list[Sentence] = []
        timed = [s for s in answer.segments if s.t_start is not None]
        for block in blocks:
            doc = next(doc_iter)
            cursor = block.start
            for sent in doc.sents:
                for piece in _cut(sent.text, config.max_sentence_words, answer.is_transcript):
                    text = " ".join(piece.split())
                    if not _WORD.search(text):
                        continue
                    start, end = words.locate(text, cursor, block.end)
                    cursor = max(cursor, end)
                    t0, t1 = times(start, end, timed) if timed else (None, None)
                    index = segment_index(start, answer.segments) if answer.is_transcript else block.index
                    fixed = block.candidates[0] if len(block.candidates) == 1 else None
                    decided = fixed is not None or block.forced_none
                    sentences.append(Sentence(
                        text=text, start=start, end=end, stage=fixed, heading=block.heading,
                        candidates=block.candidates, forced_none=block.forced_none, block=index,
                        role=block.role, context=block.context,
                        method="heading" if decided else None, confidence=1.0 if decided else None,
                        t_start=t0, t_end=t1))
        out.append(SectionedAnswer(answer=answer, sentences=sentences, headings=headings))
    return out


def stages_of_heading(heading: str, stages: Sequence[Stage]) -> tuple[str, ...]:
    """Every stage a heading names, in rubric order: phrase matches are taken longest first and may not
    overlap, so "Training data generation" is only data, while "Model + training" is model and training."""
    return _stages_of_heading(heading, tuple((s.id, tuple(s.headings)) for s in stages))


@functools.lru_cache(maxsize=4096)  # a batch repeats its headings ("Data", "Model", ...) many times
def _stages_of_heading(heading: str, stages: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...]:
    norm = _normalize(heading)
    found: list[tuple[int, int, int, str]] = []  # (-words, start, end, stage)
    for stage_id, phrases in stages:
        for phrase in phrases:
            p = _normalize(phrase)
            if p:
                for m in re.finditer(rf"(?<!\w){re.escape(p)}s?(?!\w)", norm):
                    found.append((-len(p.split()), m.start(), m.end(), stage_id))
    taken: list[tuple[int, int]] = []
    named: set[str] = set()
    for _, a, b, stage in sorted(found):
        if all(b <= x or a >= y for x, y in taken):
            taken.append((a, b))
            named.add(stage)
    return tuple(s for s, _ in stages if s in named)


def stage_of_heading(heading: str, stages: Sequence[Stage]) -> str | None:
    """The first stage (in rubric order) a heading names, or None."""
    named = stages_of_heading(heading, stages)
    return named[0] if named else None


def names_no_stage(heading: str, phrases: Sequence[str]) -> bool:
    """True when a heading matches one of the rubric's `none_headings` phrases (summary, contents...)."""
    return bool(phrase_spans(heading, phrases))


def phrase_spans(text: str, phrases: Sequence[str]) -> list[tuple[int, int, int]]:
    """(start, end, index of the phrase) of every phrase found in the text, both normalized (lower case, words
    only, "&" and "+" read as "and"), as whole words, a plural "s" tolerated."""
    norm = _normalize(text)
    out: list[tuple[int, int, int]] = []
    for k, phrase in enumerate(phrases):
        p = _normalize(phrase)
        if p:
            out += [(m.start(), m.end(), k) for m in re.finditer(rf"(?<!\w){re.escape(p)}s?(?!\w)", norm)]
    return out


# ----------------------------------------------------------------------------------------- blocks


@dataclass
class _Block:
    text: str
    start: int
    end: int
    heading: str | None
    candidates: tuple[str, ...]
    forced_none: bool
    index: int
    role: str = "prose"
    context: str | None = None


@dataclass
class _Heading:
    level: int
    title: str
    matched: tuple[str, ...]
    none: bool
    parent: int | None
    weak: bool = False  # a run-in label: subordinate to a parent heading that names a stage
    reference: bool = False  # a references / further-reading section (or inside one)


@dataclass
class _Pending:
    text: str
    start: int
    end: int
    head: int | None
    index: int
    role: str = "prose"


@dataclass
class _Walker:
    text: str
    stages: Sequence[Stage]
    config: SectionsConfig
    heads: list[_Heading] = field(default_factory=list)
    stack: list[int] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    line_starts: list[int] = field(default_factory=list)

    def offset(self, line: int) -> int:
        return self.line_starts[line] if line < len(self.line_starts) else len(self.text)

    def open(self, level: int, title: str, *, weak: bool = False) -> None:
        while self.stack and self.heads[self.stack[-1]].level >= level:
            self.stack.pop()
        matched = stages_of_heading(title, self.stages)
        none = not matched and names_no_stage(title, self.config.none_headings)
        parent = self.stack[-1] if self.stack else None
        reference = names_no_stage(title, self.config.reference_headings) or (
            parent is not None and self.heads[parent].reference)
        self.heads.append(_Heading(level, title, matched, none, parent, weak, reference))
        self.stack.append(len(self.heads) - 1)

    def prose(self, text: str, span: tuple[int, int] | None, role: str = "prose") -> None:
        if not text.strip():
            return
        a, b = span or (0, 0)
        head = self.stack[-1] if self.stack else None
        if head is not None and self.heads[head].reference:
            role = "reference"
        self.pending.append(_Pending(text, self.offset(a), self.offset(b) if b > a else len(self.text),
                                     head, len(self.pending), role))


def _blocks(text: str, stages: Sequence[Stage], config: SectionsConfig) -> tuple[list[_Block], list[tuple[str, str | None]]]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    w = _Walker(text, stages, config, line_starts=[0] + [m.end() for m in re.finditer("\n", text)])
    skip_until = -1
    in_heading = False
    level = 0
    row: list[str] = []
    row_span: tuple[int, int] | None = None
    lists = 0  # open lists around the current token (counted before skipping, so skipped lists balance)
    for i, tok in enumerate(tokens):
        if tok.type in ("ordered_list_open", "bullet_list_open"):
            lists += 1
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            lists -= 1
        if i <= skip_until:
            continue
        if tok.type == "heading_open":
            in_heading, level = True, int(tok.tag[1:])
        elif tok.type == "heading_close":
            in_heading = False
        elif tok.type in ("ordered_list_open", "bullet_list_open"):
            end = _close_of(tokens, i)
            if _is_toc(tokens, i, end, stages):
                skip_until = end
                continue
            title = _list_heading(tokens, i)
            if title is not None:
                w.open(_LIST_LEVEL, title)
                skip_until = i + 6
        elif tok.type == "list_item_open":
            title = _item_heading(tokens, i)
            if title is not None:
                w.open(_LIST_LEVEL + tok.level / 100, title)  # nested item headings sit under outer ones
                skip_until = i + 3  # the label paragraph
        elif tok.type == "tr_open":
            row, row_span = [], tok.map
        elif tok.type == "tr_close":
            w.prose("; ".join(c for c in row if c.strip()), row_span, "table")
            row = []
        elif tok.type == "html_block":
            _html(w, tok)
        elif tok.type == "inline":
            plain = _inline_text(tok)
            if in_heading:
                w.open(level, " ".join(plain.split()))
                continue
            if tokens[i - 1].type in ("th_open", "td_open"):
                row.append(" ".join(plain.split()))
                continue
            lead = _leading_label(tok, stages, config, tokens[i - 1].level == 0) \
                if tokens[i - 1].type == "paragraph_open" else None
            if lead is not None:
                title, lvl, rest = lead
                w.open(lvl, title, weak=lvl == _RUNIN_LEVEL)
                plain = rest
            w.prose(plain, tok.map, inline_role(tok, plain, "item" if lists else "prose"))
    final = _resolve(w.heads, [s.id for s in stages])
    titles = [_deciding_title(w.heads, final, k) for k in range(len(w.heads))]
    blocks = [_Block(p.text, p.start, p.end, titles[p.head] if p.head is not None else None,
                     *(final[p.head] if p.head is not None else ((), False)), p.index, p.role,
                     w.heads[p.head].title if p.head is not None else None) for p in w.pending]
    headings = [(h.title, final[k][0][0] if final[k][0] else None) for k, h in enumerate(w.heads)]
    return blocks, headings


def _transcript_blocks(answer: Answer) -> tuple[list[_Block], list[tuple[str, str | None]]]:
    """A transcript's speaker turns as free blocks (no markup, no headings). With two or more speakers only
    the candidate's turns are prose: the speaker labelled candidate / interviewee, else the one who says the
    most; the others' words (the interviewer's prompts) earn nothing, though their time counts toward the
    stage under discussion."""
    speakers: dict[str, int] = {}
    for seg in answer.segments:
        if seg.speaker is not None:
            speakers[seg.speaker] = speakers.get(seg.speaker, 0) + len(answer.text[seg.start:seg.end].split())
    main = None
    if len(speakers) >= 2:
        roles = [sp for sp in speakers if sp in _CANDIDATE_ROLES]
        main = roles[0] if roles else min(speakers, key=lambda sp: (-speakers[sp], sp))
    blocks: list[_Block] = []
    turn: list[Segment] = []
    for seg in answer.segments + [None]:  # type: ignore[operator]
        if turn and (seg is None or seg.speaker != turn[-1].speaker):
            if main is None or turn[0].speaker in (main, None):
                a, b = turn[0].start, turn[-1].end
                blocks.append(_Block(answer.text[a:b], a, b, None, (), False, len(blocks)))
            turn = []
        if seg is not None:
            turn.append(seg)
    return blocks, []


def _deciding_title(heads: list[_Heading], final: list[tuple[tuple[str, ...], bool]], k: int) -> str:
    """The title of the heading whose stage a section carries: itself, or the ancestor it inherits from."""
    while heads[k].parent is not None and final[k] == final[heads[k].parent] and not (
            heads[k].matched or heads[k].none):
        k = heads[k].parent
    while heads[k].weak and heads[k].parent is not None and final[k] == final[heads[k].parent]:
        k = heads[k].parent
    return heads[k].title


def _html(w: _Walker, tok: Any) -> None:
    """Headings in a raw HTML block open sections (`<hN>`, and Markdown `#` lines the block swallowed because
    no blank line ended it); the text around them (tags stripped) is prose, or a caption around an image."""
    content = _HTML_SKIP.sub(" ", tok.content)
    pre = "<pre" in content.lower()
    pos = 0
    for m in _HTML_HEADING.finditer(content):
        if not m.group(1) and pre:
            continue  # a "#" line of code inside <pre>, not a heading
        _html_prose(w, content[pos:m.start()], tok.map)
        w.open(int(m.group(1)) if m.group(1) else len(m.group(3)), _html_text(m.group(2) if m.group(1) else m.group(4)))
        pos = m.end()
    _html_prose(w, content[pos:], tok.map)


def _html_prose(w: _Walker, fragment: str, span: tuple[int, int] | None) -> None:
    w.prose(_html_text(fragment), span, html_role(fragment))


def _html_text(fragment: str) -> str:
    return " ".join(html_lib.unescape(_TAG.sub(" ", fragment)).split())


def _resolve(heads: list[_Heading], order: list[str]) -> list[tuple[tuple[str, ...], bool]]:
    """(allowed stages, belongs to no stage) per heading: its own match (joined with its parent's when the
    parent is a stage heading at the main level, the level most stage headings use, and the answer has at
    least three of them); else, at the main level,
    a run of unmatched headings that exactly fills the gap between two matched stages takes those stages in
    order (answers move forward through the stages); else its parent's; else free."""
    filled: dict[int, str] = {}
    levels = [h.level for h in heads if h.matched and not h.weak]
    main = None
    organised = False  # at least three stage headings at the main level: the answer is organised by them
    if levels:
        main = min(set(levels), key=lambda lv: (-levels.count(lv), lv))
        organised = levels.count(main) >= 3
        seq = [i for i, h in enumerate(heads) if h.level == main and not h.none]
        pos = [(order.index(heads[i].matched[0]), order.index(heads[i].matched[-1])) if heads[i].matched
               else None for i in seq]
        prev, run = -1, []
        for k, p in list(enumerate(pos)) + [(len(pos), (len(order), len(order)))]:
            if p is None:
                run.append(k)
                continue
            if run and p[0] - prev - 1 == len(run):
                for j, k_run in enumerate(run):
                    filled[seq[k_run]] = order[prev + 1 + j]
            prev, run = p[1], []
    final: list[tuple[tuple[str, ...], bool]] = []
    for i, h in enumerate(heads):
        parent = final[h.parent] if h.parent is not None else ((), False)
        under_stage = h.parent is not None and heads[h.parent].level == main and bool(parent[0]) and organised
        if h.weak and (parent[0] or parent[1]):
            final.append(parent)  # a run-in label inside a staged section does not override it
        elif h.matched and under_stage:
            # "### Scale and latency" under "## Clarify": the content decides between the two
            final.append((tuple(s for s in order if s in parent[0] or s in h.matched), False))
        elif h.matched:
            final.append((h.matched, False))
        elif h.none:
            final.append(((), True))
        elif i in filled:
            final.append(((filled[i],), False))
        else:
            final.append(parent)
    return final


# ------------------------------------------------------------------------------------ heading shapes


def _close_of(tokens: list[Any], i: int) -> int:
    """Index of the token closing the block opened at `i`."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _is_toc(tokens: list[Any], i: int, end: int, stages: Sequence[Stage]) -> bool:
    """A list whose every line is a short label naming a stage, or a link to an anchor, naming at least three
    different stages (or all links), is a table of contents or an agenda, not sections."""
    inlines = [tokens[j] for j in range(i + 1, end) if tokens[j].type == "inline"]
    if len(inlines) < 3:
        return False
    named: set[str] = set()
    links = 0
    for inline in inlines:
        kids = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
        is_link = bool(kids) and kids[0].type == "link_open" and (kids[0].attrGet("href") or "").startswith("#")
        links += is_link
        label = _strip_symbols(_inline_text(inline))
        if not _is_label(label):
            return False
        names = stages_of_heading(label, stages)
        if not names and not is_link:
            return False
        named.update(names)
    return links == len(inlines) or len(named) >= 3


def _is_label(text: str, words: int = _LABEL_WORDS) -> bool:
    text = text.strip().rstrip(":").strip()
    return bool(text) and "\n" not in text and len(text.split()) <= words and text[-1] not in ".?!;,"


def _list_heading(tokens: list[Any], i: int) -> str | None:
    """A top-level numbered list of exactly one item holding one short line without sentence punctuation
    ("3. Data") is a heading written as a numbered line."""
    if tokens[i].type != "ordered_list_open" or tokens[i].level != 0:
        return None
    kinds = [t.type for t in tokens[i:i + 7]]
    close = "ordered_list_close" if tokens[i].type == "ordered_list_open" else "bullet_list_close"
    if kinds != [tokens[i].type, "list_item_open", "paragraph_open", "inline", "paragraph_close",
                 "list_item_close", close]:
        return None
    title = _strip_symbols(_inline_text(tokens[i + 3]))
    if not _is_label(title):
        return None
    return title.rstrip(":").strip()


def _item_heading(tokens: list[Any], i: int) -> str | None:
    """A list item whose first paragraph is one short label and which holds more blocks (a nested list, more
    paragraphs) heads that content: "1. Clarifying questions" followed by indented bullets."""
    end = _close_of(tokens, i)
    if end - i < 6 or [t.type for t in tokens[i + 1:i + 4]] != ["paragraph_open", "inline", "paragraph_close"]:
        return None
    title = _strip_symbols(_inline_text(tokens[i + 2]))
    if not _is_label(title):
        return None
    return title.rstrip(":").strip()


def _leading_label(tok: Any, stages: Sequence[Stage], config: SectionsConfig,
                   top: bool) -> tuple[str, int, str] | None:
    """A heading at the start of a paragraph: (title, level, the rest of the paragraph's text).

    - the whole first line is bold or italic (after an optional emoji, maybe ending in ':'): a label line;
    - a bold span ending in '.' or ':' followed by text on the same line: a run-in label (its text stays in
      the paragraph's prose);
    - in a top-level paragraph, a short plain first line that names a stage or a none heading ("Data and
      features", "🎯 Clarifying questions"), or that is marked as a label ("Step 2", a trailing ':', a
      leading emoji) and followed by more lines.
    Labels that name no stage are weak: they do not end the section of a stronger heading.
    """
    kids = list(tok.children or [])
    brk = next((k for k, c in enumerate(kids) if c.type in ("softbreak", "hardbreak")), len(kids))
    first, rest = kids[:brk], _children_text(kids[brk + 1:])
    lead = [c for c in first if not (c.type == "text" and not c.content.strip())]
    if lead and lead[0].type == "text" and not _WORD.search(lead[0].content):
        lead = lead[1:]  # an emoji or symbol before the bold span
    if len(lead) >= 3 and lead[0].type in ("strong_open", "em_open"):
        close = next((k for k, c in enumerate(lead) if c.type in ("strong_close", "em_close")), None)
        if close is not None:
            inner = _strip_symbols("".join(c.content for c in lead[1:close] if c.type in ("text", "code_inline")))
            after = _children_text(lead[close + 1:])
            if inner and not after.strip(" :") and _is_label(inner):
                title = inner.rstrip(":").strip()
                return title, _LINE_LEVEL if _names_something(title, stages, config) else _RUNIN_LEVEL, rest
            if inner and after.strip() and len(inner.split()) <= _LABEL_WORDS and (
                    inner.rstrip()[-1:] in ".:" or after.lstrip()[:1] in ":.—–"):
                # the label stays in the prose: "Velocity counters: attempts per card..." says what it is
                return inner.rstrip(".:").strip(), _RUNIN_LEVEL, _inline_text(tok)
    if not top or not all(c.type in ("text", "code_inline") for c in first):
        return None
    line = _children_text(first).strip()
    label = _strip_symbols(line)
    core = _MARKER.sub("", label).strip().rstrip(":").strip()
    if not core or len(core.split()) > 6 or re.search(r"[,;:.?!]", core):
        return None
    if _names_something(core, stages, config):
        return core, _LINE_LEVEL, rest
    marked = bool(_MARKER.match(label)) or line.endswith(":") or label != line
    return (core, _RUNIN_LEVEL, rest) if marked and rest.strip() else None


def _names_something(title: str, stages: Sequence[Stage], config: SectionsConfig) -> bool:
    return bool(stages_of_heading(title, stages)) or names_no_stage(title, config.none_headings)


def _strip_symbols(text: str) -> str:
    """Drop emoji, bullets and numbering before a label's first letter ("🎯 3. Clarify" -> "Clarify")."""
    text = text.strip()
    m = _SYMBOLS.match(text)
    return text[m.end():].strip() if m else text


def _inline_text(tok: Any) -> str:
    return _children_text(tok.children or [])


def _children_text(children: list[Any]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


# ------------------------------------------------------------------------------------------ sentences


def _cut(sentence: str, max_words: int, transcript: bool) -> list[str]:
    """A transcript's sentence over `max_words` words (unpunctuated captions) is cut at its cue boundaries;
    a cue of one or two words joins the piece before it. In written answers a line break is only wrapping."""
    if not transcript or len(sentence.split()) <= max_words or "\n" not in sentence:
        return [sentence]
    pieces: list[str] = []
    for line in sentence.split("\n"):
        if pieces and len(line.split()) <= 2:
            pieces[-1] += "\n" + line
        elif line.strip():
            pieces.append(line)
    return pieces or [sentence]


def _normalize(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("+", " and ")
    return " ".join(_WORD.findall(text.replace("_", " ")))


class _WordIndex:
    """The words of an answer's text with their offsets, found once, so that locating each sentence is a short
    scan from the cursor (no regex compiled per sentence: that cost 0.3 ms a sentence)."""

    def __init__(self, text: str) -> None:
        self.text = text
        found = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        self.starts = [s for s, _, _ in found]
        self.ends = [e for _, e, _ in found]
        self.words = [w for _, _, w in found]

    def _find(self, seq: list[str], i: int, hi: int) -> int | None:
        """The first token index >= i where `seq` starts, its last word ending by `hi`."""
        words, ends, k = self.words, self.ends, len(seq)
        first = seq[0]
        while i + k <= len(words) and ends[i + k - 1] <= hi:
            if words[i] == first and words[i:i + k] == seq:
                return i
            i += 1
        return None

    def locate(self, sentence: str, lo: int, hi: int) -> tuple[int, int]:
        """Offsets of `sentence` (markup stripped) in `text[lo:hi]`, tolerant of markup between words: the first
        run of its words (whole words, in order, anything non-word between them) from `lo`. Falls back to the
        regex search when the words do not line up with the text's (text split inside a word)."""
        words = _WORD.findall(sentence)
        if not words:
            return lo, lo
        i = self._find(words[:6], bisect.bisect_left(self.starts, lo), hi)
        if i is None:
            return _locate(self.text, sentence, lo, hi)
        tail_words = words[-3:]
        j = self._find(tail_words, i, hi)
        end = self.ends[j + len(tail_words) - 1] if j is not None else self.ends[i + min(len(words), 6) - 1]
        tail = _TAIL.match(self.text, end, hi)
        return self.starts[i], tail.end() if tail else end


def _locate(text: str, sentence: str, lo: int, hi: int) -> tuple[int, int]:
    """Offsets of `sentence` (markup stripped) in `text[lo:hi]`, tolerant of markup between words."""
    words = _WORD.findall(sentence)
    if not words:
        return lo, lo
    gap = r"\W+"
    first = re.compile(gap.join(map(re.escape, words[:6])))
    m = first.search(text, lo, hi)
    if m is None:
        m = re.compile(re.escape(words[0])).search(text, lo, hi)
    if m is None:
        return lo, lo
    start = m.start()
    last = re.compile(gap.join(map(re.escape, words[-3:])))
    end_m = None
    for end_m in last.finditer(text, start, hi):
        break
    end = end_m.end() if end_m else m.end()
    tail = _TAIL.match(text, end, hi)
    return start, tail.end() if tail else end

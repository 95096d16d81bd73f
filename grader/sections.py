"""Split an answer into sentences and assign each to one of the rubric's stages (or to none).

First version: stages come from headings (ATX, setext, HTML `<hN>`, and lines that are only bold text),
matched against each stage's heading phrases in the rubric; a heading that names no stage inherits its
parent's stage, a top-level one starts an unassigned stretch (title, summary, follow-ups). Code blocks and raw
HTML are not prose. Sentences keep character offsets into `Answer.text`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grader.models import Answer, SectionedAnswer, Sentence, Stage

_HTML_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
_TAIL = re.compile(r"[*_`~)\]\"'”’.!?…]*")  # closing markup and punctuation after the last word
_LIST_LEVEL = 6  # a one-line list item standing alone ("3. Data & features") is a low-level heading
_BOLD_LEVEL = 7  # a bold-only line is a heading below every markdown level


def load_sentencizer() -> Any:
    """A blank English spaCy pipeline with the rule-based sentencizer and the lookup lemmatizer
    (spacy-lookups-data; no model, no network). Sections use the sentences; detectors use the lemmas."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def split_sections(answers: Sequence[Answer], stages: Sequence[Stage], nlp: Any) -> list[SectionedAnswer]:
    """Sentences with their stage for each answer; all prose of the batch goes through `nlp.pipe` once."""
    parsed = [_blocks(a.text, stages) for a in answers]
    flat = [b for blocks, _ in parsed for b in blocks]
    docs = nlp.pipe([b.text for b in flat], batch_size=256)
    out: list[SectionedAnswer] = []
    doc_iter = iter(docs)
    for answer, (blocks, headings) in zip(answers, parsed):
        sentences: list[Sentence] = []
        for block in blocks:
            doc = next(doc_iter)
            cursor = block.start
            for sent in doc.sents:
                text = " ".join(sent.text.split())
                if not _WORD.search(text):
                    continue
                start, end = _locate(answer.text, text, cursor, block.end)
                cursor = max(cursor, end)
                sentences.append(Sentence(text=text, start=start, end=end, stage=block.stage,
                                          heading=block.heading))
        out.append(SectionedAnswer(answer=answer, sentences=sentences, headings=headings))
    return out


def stage_of_heading(heading: str, stages: Sequence[Stage]) -> str | None:
    """The stage whose heading phrase matches `heading`: the longest phrase wins, then the earliest."""
    norm = _normalize(heading)
    best: tuple[int, int, str] | None = None
    for stage in stages:
        for phrase in stage.headings:
            p = _normalize(phrase)
            if not p:
                continue
            m = re.search(rf"(?<!\w){re.escape(p)}s?(?!\w)", norm)
            if m:
                key = (len(p.split()), -m.start(), stage.id)
                if best is None or key[:2] > best[:2]:
                    best = key
    return best[2] if best else None


@dataclass
class _Block:
    text: str
    start: int
    end: int
    stage: str | None
    heading: str | None


def _normalize(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("+", " and ")
    return " ".join(_WORD.findall(text.replace("_", " ")))


def _blocks(text: str, stages: Sequence[Stage]) -> tuple[list[_Block], list[tuple[str, str | None]]]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def offset(line: int) -> int:
        return line_starts[line] if line < len(line_starts) else len(text)

    heads: list[_Heading] = []
    stack: list[int] = []  # indices into heads
    pending: list[tuple[str, int, int, int | None]] = []  # (text, start, end, heading index)

    def open_heading(level: int, title: str) -> None:
        while stack and heads[stack[-1]].level >= level:
            stack.pop()
        heads.append(_Heading(level, title, stage_of_heading(title, stages), stack[-1] if stack else None))
        stack.append(len(heads) - 1)

    skip_until = -1
    in_heading = False
    level = 0
    for i, tok in enumerate(tokens):
        if i <= skip_until:
            continue
        if tok.type == "heading_open":
            in_heading, level = True, int(tok.tag[1:])
        elif tok.type == "heading_close":
            in_heading = False
        elif tok.type in ("ordered_list_open", "bullet_list_open"):
            title = _list_heading(tokens, i)
            if title is not None:
                open_heading(_LIST_LEVEL, title)
                skip_until = i + 6
        elif tok.type == "html_block":
            for m in _HTML_HEADING.finditer(tok.content):
                open_heading(int(m.group(1)), " ".join(_TAG.sub(" ", m.group(2)).split()))
        elif tok.type == "inline":
            plain = _inline_text(tok)
            if in_heading:
                open_heading(level, plain)
                continue
            bold = _bold_only(tok)
            if bold is not None and tokens[i - 1].type == "paragraph_open":
                open_heading(_BOLD_LEVEL, bold)
                continue
            if not plain.strip():
                continue
            span = tok.map or (0, 0)
            pending.append((plain, offset(span[0]), offset(span[1]) if span[1] > span[0] else len(text),
                            stack[-1] if stack else None))
    final = _resolve(heads, [s.id for s in stages])
    blocks = [_Block(t, a, b, final[h] if h is not None else None, heads[h].title if h is not None else None)
              for t, a, b, h in pending]
    return blocks, [(h.title, final[i]) for i, h in enumerate(heads)]


@dataclass
class _Heading:
    level: int
    title: str
    matched: str | None
    parent: int | None


def _resolve(heads: list[_Heading], order: list[str]) -> list[str | None]:
    """Final stage per heading: its own match; else, among headings at the level most stage headings use,
    a run of unmatched ones that exactly fills the gap between two matched stages takes those stages in
    order (answers move forward through the stages); else its parent's stage; else none."""
    filled: dict[int, str] = {}
    levels = [h.level for h in heads if h.matched]
    if levels:
        main = min(set(levels), key=lambda lv: (-levels.count(lv), lv))
        seq = [i for i, h in enumerate(heads) if h.level == main]
        pos = [order.index(heads[i].matched) if heads[i].matched else None for i in seq]
        prev, run = -1, []
        for k, p in list(enumerate(pos)) + [(len(pos), len(order))]:
            if p is None:
                run.append(k)
                continue
            if run and p - prev - 1 == len(run):
                for j, k_run in enumerate(run):
                    filled[seq[k_run]] = order[prev + 1 + j]
            prev, run = p, []
    final: list[str | None] = []
    for i, h in enumerate(heads):
        stage = h.matched or filled.get(i)
        if stage is None and h.parent is not None:
            stage = final[h.parent]
        final.append(stage)
    return final


def _list_heading(tokens: list[Any], i: int) -> str | None:
    """A list of exactly one item holding one short line without sentence punctuation ("3. Data") is a
    heading written as a numbered line."""
    kinds = [t.type for t in tokens[i:i + 7]]
    close = "ordered_list_close" if tokens[i].type == "ordered_list_open" else "bullet_list_close"
    if kinds != [tokens[i].type, "list_item_open", "paragraph_open", "inline", "paragraph_close",
                 "list_item_close", close]:
        return None
    title = _inline_text(tokens[i + 3]).strip()
    if not title or len(title.split()) > 8 or title[-1] in ".?!;,":
        return None
    return title.rstrip(":").strip()


def _inline_text(tok: Any) -> str:
    parts: list[str] = []
    for child in tok.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _bold_only(tok: Any) -> str | None:
    """The text of a paragraph that is nothing but one bold (or italic) span, optionally ending with ':'."""
    kids = [c for c in tok.children or [] if not (c.type == "text" and c.content.strip() in ("", ":"))]
    if len(kids) >= 3 and kids[0].type in ("strong_open", "em_open") and kids[-1].type in (
        "strong_close", "em_close"
    ):
        inner = "".join(c.content for c in kids[1:-1] if c.type in ("text", "code_inline")).strip()
        if inner and len(inner.split()) <= 8:
            return inner.rstrip(":").strip()
    return None


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

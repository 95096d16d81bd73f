"""What kind of text a paragraph or list item is, beyond its place: a `reference` (mostly link text, a bare URL,
a citation such as "[2018] Title" or "Read more: ...") or a `caption` (a short paragraph holding an image, or one
that opens like "Figure 3:"). Neither is ever evidence of a concept (grader.pipeline.substance); a section under
a references heading is marked by `grader.pipeline.sections` itself.
"""

from __future__ import annotations

import re
from typing import Any

_HTML_IMAGE = re.compile(r"<(?:img|figure|figcaption|picture|video)\b", re.IGNORECASE)
_CAPTION = re.compile(r"^\s*(?:figure|fig\.|image|img|photo|picture|diagram|screenshot|source)\s*\d*\s*[:.(-]",
                      re.IGNORECASE)
_CAPTION_WORDS = 20  # a paragraph holding an image is its caption unless it says more than this
_URL = re.compile(r"https?://\S+|www\.\S+")
_CITATION = re.compile(r"^\s*(?:\[\s*\d{4}\s*\]|\[\d{1,3}\]\s|\[?\d{1,3}(?:\.\d)?k\]|(?:read more|see also|"
                       r"further reading|source|via|ref(?:erence)?s?)\s*:)", re.IGNORECASE)


def inline_role(tok: Any, plain: str, role: str) -> str:
    """`reference` for a paragraph or item that is mostly link text, a bare URL or a citation ("[2018] Title";
    "Read more: ..."), `caption` for a short one that holds an image or one that opens like a figure caption
    ("Figure 3: ..."); else `role`."""
    kids = tok.children or []
    if _CAPTION.match(plain) or (any(c.type == "image" for c in kids) and len(plain.split()) < _CAPTION_WORDS):
        return "caption"
    letters = sum(1 for ch in plain if ch.isalnum())
    linked, depth = 0, 0
    for c in kids:
        if c.type == "link_open":
            depth += 1
        elif c.type == "link_close":
            depth -= 1
        elif depth and c.type in ("text", "code_inline"):
            linked += sum(1 for ch in c.content if ch.isalnum())
    bare = sum(len(m.group()) for m in _URL.finditer(plain))
    if letters and (linked + bare) / letters >= 0.5 or _CITATION.match(plain):
        return "reference"
    return role


def html_role(fragment: str) -> str:
    """`caption` for the text of a raw HTML block around an image or figure, else `prose`."""
    return "caption" if _HTML_IMAGE.search(fragment) else "prose"

"""Which language an answer is written in, and how much of it is English: the embedding model and the concept
detectors are English-only, so an answer that is mostly in another language gets a `not_english` flag saying
its scores are unreliable (it is still graded; the flag deducts nothing).

Each line (URLs and inline code removed) is assigned a language by its script: Han (Chinese), kana (Japanese),
Hangul (Korean), Cyrillic, Arabic, Greek, ... are named at once; a Latin-script line is English unless the
answer's Latin text reads as another language: when fewer than `min_function_words` of its Latin words are
English function words ("the", "of", "we", ...: 0.25-0.55 in English write-ups, under 0.05 in French, Spanish,
German or Portuguese prose), its lines of 20 letters or more are identified by py3langid (loaded only then: it
costs ~1.7 s). Non-Latin, non-CJK lines are named by py3langid too. `english_share` is the English share of the
letters, a CJK character counting as `cjk_weight` letters (about what an English word's letters carry);
`language` is the ISO 639-1 code with the most.

>>> from grader.models import LanguageConfig
>>> identify("We rank candidates with a two-tower model and serve them from a cache.", LanguageConfig())
('en', 1.0)
>>> identify("我们用双塔模型召回候选，然后排序。\\nWe serve them from a cache.", LanguageConfig())[0]
'zh'
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from grader.models import LanguageConfig, MistakeHit

_STRIP = re.compile(r"https?://\S+|`[^`\n]*`|\]\([^)\s]*\)")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_MIN_LETTERS = 20  # a line shorter than this is judged by its script alone
#: Languages py3langid may answer (others it knows, such as Latin or Wu Chinese, only mislabel short lines).
_CANDIDATES = ("en", "fr", "de", "es", "pt", "it", "nl", "sv", "da", "no", "pl", "cs", "ro", "hu", "tr", "id",
               "vi", "ru", "uk", "bg", "sr", "el", "ar", "fa", "he", "hi", "th", "zh", "ja", "ko")
_SCRIPT_LANGUAGE = {"CJK": "zh", "HIRAGANA": "ja", "KATAKANA": "ja", "HANGUL": "ko", "THAI": "th",
                    "HEBREW": "he", "GREEK": "el", "DEVANAGARI": "hi"}
_CJK = {"zh", "ja", "ko"}


def identify(text: str, cfg: LanguageConfig) -> tuple[str, float]:
    """(ISO 639-1 code of the dominant language, English share of the letters) of `text`; ("en", 1.0) when it
    has no letters."""
    lines = []  # (line, its script, letters)
    for raw in _STRIP.sub(" ", text).splitlines():
        letters = _LETTER.findall(raw)
        if letters:
            lines.append((raw, _script(letters), len(letters)))
    latin = " ".join(line for line, script, _ in lines if script == "LATIN")
    words = [w.lower() for w in _LATIN_WORD.findall(latin)]
    english_words = _function_words()
    latin_is_english = not words or sum(w in english_words for w in words) / len(words) >= cfg.min_function_words
    weights: dict[str, float] = {}
    for line, script, n in lines:
        if script == "LATIN" and (latin_is_english or n < _MIN_LETTERS):
            lang = "en"
        elif script in _SCRIPT_LANGUAGE:
            lang = _SCRIPT_LANGUAGE[script]
        else:
            lang = _identifier().classify(line)[0]
        weights[lang] = weights.get(lang, 0.0) + n * (cfg.cjk_weight if lang in _CJK else 1.0)
    total = sum(weights.values())
    if not total:
        return "en", 1.0
    top = max(sorted(weights), key=lambda k: weights[k])
    return top, weights.get("en", 0.0) / total


def language_flag(language: str, share: float, cfg: LanguageConfig) -> MistakeHit | None:
    """The `not_english` flag (no deduction) when English is under `cfg.min_english_share` of the answer."""
    if share >= cfg.min_english_share:
        return None
    return MistakeHit(
        id="not_english", source="language", deduction=0.0, dimensions=[],
        evidence=f"English is {share:.0%} of the text (dominant language: {language}); the embedding model and the "
                 f"concept detectors read English only, so these scores are unreliable",
        advice="Grade an English version of the answer, or read this one yourself.")


def _script(letters: list[str]) -> str:
    """The script most of a line's letters are in (the first word of their Unicode names)."""
    counts: dict[str, int] = {}
    for ch in letters:
        name = unicodedata.name(ch, "")
        script = "LATIN" if ch.isascii() else (name.split(" ")[0] if name else "OTHER")
        counts[script] = counts.get(script, 0) + 1
    return max(sorted(counts), key=lambda k: counts[k])


@functools.lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's model (numpy arrays in an xz file, no pickle), restricted to `_CANDIDATES`; loaded once."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE)
    ident.set_languages(list(_CANDIDATES))
    return ident

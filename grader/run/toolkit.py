"""What a run loads once per process: the spaCy sentencizer (lazily), the embedding backend and its cache.

Loading spaCy is the one place that touches global state (`sys.modules`, for a moment, so thinc does not
import torch); it happens here, when a toolkit is built, never inside a pipeline stage.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from grader.config import Settings
from grader.embedding.backends import make_embedder
from grader.embedding.cache import EmbeddingCache
from grader.pipeline.grade import Toolkit


def make_toolkit(backend: str, settings: Settings, cache_dir: str | Path | None, progress: bool = False) -> Toolkit:
    """The sentencizer (loaded on first use), the `backend` embedder, and the vector cache under `cache_dir`."""
    embedder = make_embedder(backend, settings, progress)
    cache = EmbeddingCache(cache_dir, embedder.fingerprint) if cache_dir else None
    return Toolkit(nlp=LazyPipeline(load_sentencizer), embedder=embedder, cache=cache)


def _import_spacy() -> Any:
    """`import spacy`, without letting thinc import torch when nothing else has: a blank pipeline needs no torch,
    and the import costs 0.8 s of every run's start-up on the ONNX and hashing backends (measured: 1.5 s with,
    0.7 s without). A None entry in sys.modules makes `import torch` raise ImportError, which thinc treats as
    "torch not installed"; the entry is removed at once, so torch can still be imported later."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


class LazyPipeline:
    """Stands for the spaCy pipeline and loads it on first use, so a run whose reports all come from the cache
    never imports spaCy (0.7 s)."""

    def __init__(self, load: Any) -> None:
        self._load, self._nlp = load, None

    def _get(self) -> Any:
        if self._nlp is None:
            self._nlp = self._load()
        return self._nlp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._get()(*args, **kwargs)


def load_sentencizer() -> Any:
    """A blank English spaCy pipeline with the rule-based sentencizer and the lookup lemmatizer
    (spacy-lookups-data; no model, no network). Sections use the sentences; detectors use the lemmas."""
    spacy = _import_spacy()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp

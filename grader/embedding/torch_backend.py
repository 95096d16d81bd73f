"""The torch backends: sentence-transformers' all-MiniLM-L6-v2 on torch, CPU, in fp32 (the reference) or bf16.

A vector must depend on its sentence alone, never on the batch it is encoded in (else reports would depend on the
cache state and the batch). Padding each batch to its longest sentence does not give that: measured on this
stack, a sentence's vector then moves with its batch mates (fp32 by ~1.5e-7, bf16 by ~7e-4), because the
sequence length of the GEMMs changes with them. So each sentence is padded to a length that depends on its own
token count only (the next multiple of `PAD_MULTIPLE`), and sentences share a batch only with others of the
same padded length. What is left is the number of rows, and rows do not interact: token-wise layers, attention
within one sentence with its padding masked, pooling per sentence. Whether the CPU kernels keep a row's bits
whatever the row count is a property of the BLAS, not of the maths, so it is checked when the model loads
(`_rows_independent`: probe sentences alone and together); where it does not hold, sentences run one per call
(slower, same vectors). Tested bit for bit across batch orders, sizes and thread counts (tests/embedding).

bf16 runs the transformer under `torch.autocast` (bfloat16 matmuls with fp32 accumulation; pooling and
normalisation in fp32). It is fast only where the CPU has native bf16 (`avx512_bf16` or `amx_bf16` in
/proc/cpuinfo); elsewhere `torch-bf16` runs fp32 and its label and fingerprint say so.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from grader.embedding.model import MODEL_ID, file_sha256, model_path
from grader.errors import GraderError

PAD_MULTIPLE = 8
BATCH_SIZE = 32
DTYPES = ("fp32", "bf16")
_PROBES = ("Retrieve candidates with a two-tower model.", "Cache the embeddings near the ranker.",
           "Sample hard negatives from impressions.")


def bf16_supported(cpuinfo: str | None = None) -> bool:
    """Whether this CPU runs bf16 natively (Linux: the `avx512_bf16` or `amx_bf16` flag)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    flags = {f for line in cpuinfo.splitlines() if line.startswith("flags") for f in line.split(":", 1)[-1].split()}
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def padded_length(tokens: int) -> int:
    """The length a sentence of `tokens` tokens is padded to: its own, rounded up to `PAD_MULTIPLE`."""
    return max(PAD_MULTIPLE, -(-tokens // PAD_MULTIPLE) * PAD_MULTIPLE)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 on torch, CPU: `fp32` (the reference) or `bf16`; vectors L2-normalised float32. The model
    is loaded on first encode (a run served from the caches never imports torch)."""

    def __init__(self, path: Path | None = None, *, dtype: str = "fp32", batch_size: int = BATCH_SIZE,
                 threads: int | None = None, progress: bool = False) -> None:
        if dtype not in DTYPES:
            raise GraderError(f"unknown torch dtype {dtype!r}; choose from {', '.join(DTYPES)}")
        self._path = path or model_path()
        weights = self._path / "model.safetensors"
        if not weights.is_file():
            raise GraderError("model weights missing", path=str(self._path))
        self.model_id = MODEL_ID
        self.weights_sha256 = file_sha256(weights)
        self.dim = 384
        self.dtype = dtype
        self.batch_size = batch_size
        self.threads = threads
        self.label = f"{MODEL_ID} (torch {dtype})"
        # The vectors are those of one sentence per call (batching is used only where it keeps those bits).
        self.fingerprint = f"{self.model_id}|{self.weights_sha256}|torch|{dtype}|pad{PAD_MULTIPLE}|single"
        self.progress = progress
        self._model = self._tokenizer = None
        self.batched: bool | None = None  # known after loading: whether rows are independent here

    def _load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if self.threads:
            torch.set_num_threads(self.threads)
        st = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
        if int(st.get_embedding_dimension()) != self.dim:
            raise GraderError("unexpected embedding dimension", path=str(self._path))
        self._model, self._tokenizer, self._max_len = st[0].auto_model.eval(), st.tokenizer, st.max_seq_length
        self.batched = self._rows_independent()

    def _rows_independent(self) -> bool:
        ids = self._ids(list(_PROBES))
        n = max(padded_length(len(x)) for x in ids)
        together = self._forward(ids, n)
        return all(np.array_equal(together[i], self._forward([x], n)[0]) for i, x in enumerate(ids))

    def _ids(self, texts: list[str]) -> list[list[int]]:
        return self._tokenizer(texts, truncation=True, max_length=self._max_len)["input_ids"]

    def _forward(self, rows: list[list[int]], length: int) -> np.ndarray:
        import torch

        input_ids = torch.full((len(rows), length), self._tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), length), dtype=torch.long)
        for r, x in enumerate(rows):
            input_ids[r, :len(x)] = torch.tensor(x, dtype=torch.long)
            mask[r, :len(x)] = 1
        cast = torch.autocast("cpu", dtype=torch.bfloat16) if self.dtype == "bf16" else contextlib.nullcontext()
        with torch.inference_mode():
            with cast:
                hidden = self._model(input_ids=input_ids, attention_mask=mask,
                                     token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            m = mask.unsqueeze(-1).to(torch.float32)
            pooled = (hidden.to(torch.float32) * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1).numpy()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        if self._model is None:
            self._load()
        ids = self._ids(list(texts))
        buckets: dict[int, list[int]] = {}
        for i, x in enumerate(ids):
            buckets.setdefault(padded_length(len(x)), []).append(i)
        size = self.batch_size if self.batched else 1
        batches = [(n, idx[k:k + size]) for n, idx in sorted(buckets.items()) for k in range(0, len(idx), size)]
        if self.progress and batches:
            from tqdm import tqdm

            batches = tqdm(batches, desc="encoding", unit="batch", leave=False)
        for n, idx in batches:
            out[idx] = self._forward([ids[i] for i in idx], n)
        return out

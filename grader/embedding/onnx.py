"""The ONNX Runtime embedding backend: the same all-MiniLM-L6-v2 weights, exported once to ONNX (fp32, and int8
with per-channel dynamic quantization), run with onnxruntime + tokenizers + numpy. Nothing here imports torch at
run time; only `export_onnx` does (it runs once, from `make install` or on first use).

The exported graph includes mean pooling and L2 normalisation, so it returns the sentence vectors that
sentence-transformers would. Exports live in a model store (default `~/.cache/answer-grader/onnx`, or
`$GRADER_ONNX_DIR`: `Settings.onnx_dir`) under a folder named after the source weights' SHA-256, with `meta.json` recording that hash
and each ONNX file's hash; both are checked on load, so a changed model package or a damaged file is never used
silently.

Sentences are run one at a time on a small thread pool (see `OnnxEmbedder`), so a sentence's vector depends on
the sentence alone.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from grader.config import Settings
from grader.embedding.model import MODEL_ID, file_sha256, model_path
from grader.errors import GraderError

EXPORT_VERSION = 1
VARIANTS = ("fp32", "int8")
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
OPSET = 17


def export_dir(store: Path, source_sha256: str) -> Path:
    return store / f"minilm-{source_sha256[:16]}-v{EXPORT_VERSION}"


def export_onnx(source: Path, store: Path, source_sha: str | None = None) -> Path:
    """Export the model at `source` to ONNX (fp32 and int8) under `store`; returns the export folder. Needs torch
    and transformers. Written to a temporary folder and renamed into place, so a concurrent export or an interrupt
    never leaves a half-written one."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    source_sha = source_sha or file_sha256(source / "model.safetensors")
    final = export_dir(store, source_sha)
    if (final / "meta.json").is_file():
        return final
    store.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=store, prefix=".export-"))
    quiet = warnings.catch_warnings()
    quiet.__enter__()
    warnings.simplefilter("ignore")  # the tracer's and the legacy exporter's warnings concern other models
    root_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic's "consider pre-processing" advice
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        bert = AutoModel.from_pretrained(str(source), local_files_only=True).eval()

        class SentenceEncoder(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                # keyword arguments: under transformers 5 a positional call collides with `use_cache`
                tokens = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=token_type_ids).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(pooled, p=2, dim=1)

        ids = torch.ones((2, 16), dtype=torch.long)
        axes = {0: "batch", 1: "sequence"}
        with torch.inference_mode():
            torch.onnx.export(SentenceEncoder(bert), (ids, ids, torch.zeros_like(ids)), str(tmp / "fp32.onnx"),
                              dynamo=False, opset_version=OPSET,
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["sentence_embedding"],
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                            "sentence_embedding": {0: "batch"}})
        quantize_dynamic(str(tmp / "fp32.onnx"), str(tmp / "int8.onnx"), weight_type=QuantType.QInt8,
                         per_channel=True)
        shutil.copyfile(source / "tokenizer.json", tmp / "tokenizer.json")
        meta = {"export_version": EXPORT_VERSION, "model_id": MODEL_ID, "source_sha256": source_sha,
                "opset": OPSET, "torch": torch.__version__,
                "files": {name: file_sha256(tmp / name) for name in ("fp32.onnx", "int8.onnx", "tokenizer.json")}}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "meta.json").is_file():  # not a concurrent export that won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        logging.getLogger().setLevel(root_level)
        quiet.__exit__(None, None, None)
    return final


def ensure_export(store: Path, source: Path | None = None, source_sha: str | None = None) -> Path:
    """The export folder for the installed model package, exporting it first if there is none."""
    source = source or model_path()
    source_sha = source_sha or file_sha256(source / "model.safetensors")
    folder = export_dir(store, source_sha)
    if not (folder / "meta.json").is_file():
        try:
            folder = export_onnx(source, store, source_sha)
        except ImportError as exc:
            raise GraderError(f"the ONNX export needs {exc.name}", hint="make install, or use --backend torch"
                              ) from None
        except OSError as exc:
            raise GraderError(f"cannot write the ONNX export: {exc.strerror or exc}", path=str(store),
                              hint="set GRADER_ONNX_DIR to a writable folder") from None
    return folder


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime, `fp32` or `int8`; vectors L2-normalised float32.

    Each sentence is run on its own (no padding at all), on single-threaded sessions, one per worker thread of a
    small pool (`threads`, default: the CPUs this process may use). Measured on 2 cores, that is faster than
    batches with two intra-op threads, and it is the only way to make a vector independent of the batch it comes
    in: int8 dynamic quantization takes each activation scale over the whole input tensor, so batch mates change
    a sentence's vector (by up to 0.03 per coordinate), and even fp32 GEMMs differ in the last bits with the batch
    shape. With one sentence per run, the bits depend on the sentence alone, whatever the batch, the cache state,
    or the number of threads.
    """

    def __init__(self, variant: str, *, store: Path, threads: int, source: Path | None = None,
                 progress: bool = False) -> None:
        if variant not in VARIANTS:
            raise GraderError(f"unknown ONNX variant {variant!r}; choose from {', '.join(VARIANTS)}")
        source = source or model_path()
        source_sha = file_sha256(source / "model.safetensors")
        folder = ensure_export(store, source, source_sha)
        meta = _read_meta(folder)
        if meta.get("source_sha256") != source_sha:
            raise GraderError("the ONNX export was made from other weights than the installed model",
                              path=str(folder), hint="delete the folder; it is re-exported on next use")
        self._folder, self._meta = folder, meta
        self._onnx_file = folder / f"{variant}.onnx"
        self._session = self._tokenizer = None  # loaded on first encode: a run served from caches never pays
        # One session thread per CPU we may use (Settings.threads: OMP_NUM_THREADS, set for each Dask worker of a
        # local cluster to its share of the cores, caps it, so workers do not oversubscribe the machine).
        self.threads = threads
        self.variant = variant
        self.model_id = MODEL_ID
        self.label = f"{MODEL_ID} (onnx {variant})"
        self.weights_sha256 = source_sha
        self.dim = 384
        self.fingerprint = (f"{MODEL_ID}|{source_sha}|onnx|{variant}|export{EXPORT_VERSION}|"
                            f"{meta['files'].get(self._onnx_file.name, '')[:16]}|single")
        self.progress = progress

    def _load(self) -> None:
        """Verify the export's files against their recorded hashes, then load the tokenizer and the session."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = self._folder
        for name in (self._onnx_file.name, "tokenizer.json"):
            if not (folder / name).is_file() or file_sha256(folder / name) != self._meta.get("files", {}).get(name):
                raise GraderError(f"{name} does not match its recorded hash (damaged export)", path=str(folder),
                                  hint="delete the folder; it is re-exported on next use")
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(self._onnx_file), sess_options=opts,
                                             providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def _run(self, ids: list[int]) -> np.ndarray:
        row = np.array([ids], dtype=np.int64)
        feeds = {"input_ids": row, "attention_mask": np.ones_like(row), "token_type_ids": np.zeros_like(row)}
        return self._session.run(None, feeds)[0][0]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from concurrent.futures import ThreadPoolExecutor

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        if self._session is None:
            self._load()
        tokens = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            rows = pool.map(self._run, tokens)
            if self.progress:
                from tqdm import tqdm

                rows = tqdm(rows, total=len(tokens), desc="encoding", unit="sentence", leave=False)
            for i, vec in enumerate(rows):
                out[i] = vec
        return out


def _read_meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GraderError(f"unreadable ONNX export metadata: {exc}", path=str(folder),
                          hint="delete the folder; it is re-exported on next use") from None
    if not isinstance(meta, dict) or meta.get("export_version") != EXPORT_VERSION:
        raise GraderError("ONNX export from another version of the grader", path=str(folder),
                          hint="delete the folder; it is re-exported on next use")
    return meta


def main() -> None:
    """`python -m grader.embedding.onnx`: export now (what `make install` runs) and print the folder."""
    print(ensure_export(store=Settings.from_env().onnx_dir))


if __name__ == "__main__":
    main()

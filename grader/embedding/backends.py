"""Embedding backends by name, as lazy registry entries: nothing heavy is imported until one is built.

A factory takes the run's `Settings` (where the ONNX export lives, how many threads) and whether to show a
progress bar, and returns an `Embedder` (grader.embedding.model).
"""

from __future__ import annotations

from grader.config import Settings
from grader.registry import Registry

#: The backend `grade` uses unless told otherwise: chosen by measurement (benchmarks/PERFORMANCE.md).
DEFAULT_BACKEND = "onnx"

BACKENDS: Registry = Registry("embedding backend")


@BACKENDS.register("torch")
def _torch(settings: Settings, progress: bool = False):
    from grader.embedding.torch_backend import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(threads=settings.threads, progress=progress)


@BACKENDS.register("torch-bf16")
def _torch_bf16(settings: Settings, progress: bool = False):
    """bf16 where the CPU runs it natively; elsewhere torch fp32 (the report's model label and the fingerprint
    say which ran, so the caches and a calibration never mix them up)."""
    from grader.embedding.torch_backend import SentenceTransformerEmbedder, bf16_supported

    dtype = "bf16" if bf16_supported() else "fp32"
    return SentenceTransformerEmbedder(dtype=dtype, threads=settings.threads, progress=progress)


@BACKENDS.register("hashing")
def _hashing(settings: Settings, progress: bool = False):
    from grader.embedding.hashing import HashingEmbedder

    return HashingEmbedder()


def _onnx(variant: str):
    def factory(settings: Settings, progress: bool = False):
        from grader.embedding.onnx import OnnxEmbedder

        return OnnxEmbedder(variant, store=settings.onnx_dir, threads=settings.threads, progress=progress)

    return factory


BACKENDS.register("onnx")(_onnx("fp32"))
BACKENDS.register("onnx-int8")(_onnx("int8"))


def make_embedder(name: str, settings: Settings, progress: bool = False):
    """The backend `name` built with `settings` (an unknown name: GraderError listing the known ones)."""
    return BACKENDS.get(name)(settings, progress)

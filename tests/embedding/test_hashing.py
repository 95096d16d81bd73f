"""The model-free hashing embedder the unit tests use: deterministic, normalised, similarity from word overlap."""

import numpy as np

from grader.embedding.hashing import HashingEmbedder


def test_hashing_embedder_is_deterministic_and_normalised():
    a = HashingEmbedder().encode(["calibrate the model", "calibrate the model", "cold start"])
    b = HashingEmbedder().encode(["calibrate the model"])
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[0], a[1])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert float(a[0] @ a[2]) < 0.5

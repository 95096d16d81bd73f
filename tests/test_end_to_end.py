"""End to end with the real embedding model (loaded once per session)."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from grader.embedding.cache import EmbeddingCache
from grader.models import RunConfig
from grader.pipeline.grade import Toolkit
from grader.run.batch import grade_paths
from grader.reports import FORMATS, write_reports

from helpers import EXAMPLES, GOLDEN_ANSWERS, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example_result(nlp, real_embedder, default_rubric):
    tools = Toolkit(nlp=nlp, embedder=real_embedder, cache=None)
    return grade_paths([str(p) for p in EXAMPLES], default_rubric, RunConfig(), tools)


def test_examples_rank_strong_over_medium_over_weak(example_result):
    scores = {Path(r.answer.path).stem: r.overall.score for r in example_result.reports}
    questions = sorted({s.split("_")[0] for s in scores})
    assert len(questions) >= 2 and not example_result.failures
    for q in questions:
        assert scores[f"{q}_strong"] > scores[f"{q}_medium"] > scores[f"{q}_weak"], (q, scores)


def shipped_calibrator():
    from grader.api import SHIPPED_CALIBRATION
    from grader.calibration.apply import Calibrator
    from grader.calibration.store import load_calibration

    return Calibrator(load_calibration(SHIPPED_CALIBRATION))


def test_calibrated_grades_keep_the_examples_in_order(nlp, real_embedder, default_rubric):
    """With the shipped calibration (the default), strong >= medium >= weak on the 1-4 grade and strong > weak."""
    result = grade_paths([str(p) for p in EXAMPLES], default_rubric, RunConfig(),
                         Toolkit(nlp=nlp, embedder=real_embedder), calibrator=shipped_calibrator())
    grades = {Path(r.answer.path).stem: r.overall.grade for r in result.reports}
    for q in sorted({s.split("_")[0] for s in grades}):
        assert grades[f"{q}_strong"] >= grades[f"{q}_medium"] >= grades[f"{q}_weak"], (q, grades)
        assert grades[f"{q}_strong"] > grades[f"{q}_weak"] and result.reports[0].overall.scale == "1-4 ordinal"


def test_report_has_every_stage_and_dimension(example_result, default_rubric):
    for r in example_result.reports:
        assert [s.stage for s in r.sections] == default_rubric.stage_ids
        assert list(r.dimensions) == [d.id for d in default_rubric.dimensions]
        assert r.answer.question_source == "front_matter" and r.model.startswith("sentence-transformers/")


def test_golden_answers_outscore_every_example_of_their_question(nlp, real_embedder, default_rubric,
                                                                  example_result):
    golden = {Path(r.answer.path).stem: r.overall.score for r in grade_paths(
        [str(GOLDEN_ANSWERS)], default_rubric, RunConfig(),
        Toolkit(nlp=nlp, embedder=real_embedder)).reports}
    for r in example_result.reports:
        assert golden[r.answer.question_id] > r.overall.score, r.answer.path


def test_encoding_does_not_depend_on_the_batch(real_embedder):
    short = "Use hard negatives."
    batch = [short, "A much longer sentence about calibrating predicted click-through rates for the auction "
                    "so that bids multiplied by probabilities stay comparable across advertisers and slots."] * 3
    alone = real_embedder.encode([short])[0]
    together = real_embedder.encode(batch)[0]
    assert np.array_equal(alone, together)


def test_same_bytes_whatever_cache_state_batch_and_order(tmp_path, nlp, real_embedder, default_rubric):
    paths = [str(p) for p in EXAMPLES]
    cache = tmp_path / "cache"

    def run(ps, out, use_cache):
        from grader.run.result_cache import ResultCache

        c = EmbeddingCache(cache, real_embedder.fingerprint) if use_cache else None
        r = ResultCache(cache) if use_cache else None  # the warm run serves every report from here
        result = grade_paths(ps, default_rubric, RunConfig(), Toolkit(nlp=nlp, embedder=real_embedder, cache=c),
                             results=r)
        write_reports(result, FORMATS.names(), tmp_path / out)

    run(paths, "cold", True)                       # empty cache: computes and stores
    run(paths[::-1], "warm", True)                 # full cache, other order
    run(paths[:1], "single", False)                # no cache, a batch of one
    for p in (tmp_path / "cold").iterdir():
        assert p.read_bytes() == (tmp_path / "warm" / p.name).read_bytes(), p.name
    for p in (tmp_path / "single").glob("*.json"):
        assert p.read_bytes() == (tmp_path / "cold" / p.name).read_bytes(), p.name


def _close(a, b, path="$"):
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, abs_tol=2e-3), (path, a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


def test_committed_example_reports_are_reproduced(tmp_path, nlp, real_embedder, default_rubric, monkeypatch):
    """reports/examples is what `make examples` wrote; a fresh run must agree (numbers to 2e-3, since another
    CPU may differ in the last bits). Refresh with `make examples` after a deliberate scoring change."""
    expected = ROOT / "reports" / "examples"
    monkeypatch.chdir(ROOT)
    result = grade_paths([f"examples/answers/{p.name}" for p in EXAMPLES], default_rubric, RunConfig(),
                         Toolkit(nlp=nlp, embedder=real_embedder), calibrator=shipped_calibrator())
    write_reports(result, FORMATS.names(), tmp_path)
    assert sorted(p.name for p in expected.iterdir()) == sorted(p.name for p in tmp_path.iterdir())
    for p in expected.glob("*.json"):
        _close(json.loads(p.read_text()), json.loads((tmp_path / p.name).read_text()), p.name)

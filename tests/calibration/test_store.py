"""The calibration file: JSON, exact round trip, refused when made by another model, version or garbage."""

import json

import pytest

from grader.calibration.features import FEATURE_VERSION
from grader.calibration.store import load_calibration, save_calibration
from grader.errors import GraderError



def test_save_load_cycle_is_exact_and_json(tmp_path, folder_calibration, toolkit):
    path = tmp_path / "cal.json"
    save_calibration(folder_calibration, path)
    data = json.loads(path.read_text())
    assert data["kind"] == "answer-grader-calibration" and data["feature_version"] == FEATURE_VERSION
    assert set(data["dimensions"]) == {"building", "framing", "overall"}
    assert {"features", "params", "kind"} <= set(data["dimensions"]["overall"]["variants"]["reference+neighbours"])
    loaded = load_calibration(path, model_fingerprint=toolkit.embedder.fingerprint)
    assert loaded == folder_calibration
    save_calibration(loaded, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_load_refuses_other_models_versions_and_garbage(tmp_path, folder_calibration):
    path = tmp_path / "cal.json"
    save_calibration(folder_calibration, path)
    with pytest.raises(GraderError, match="fitted with embedding model hashing.*this run uses sentence-transformers"):
        load_calibration(path, model_fingerprint="sentence-transformers/all-MiniLM-L6-v2|abc|torch")
    data = json.loads(path.read_text())
    data["feature_version"] = "0"
    (tmp_path / "old.json").write_text(json.dumps(data))
    with pytest.raises(GraderError, match="feature version '0'"):
        load_calibration(tmp_path / "old.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(GraderError, match="not a calibration file"):
        load_calibration(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text(json.dumps({"kind": "report"}))
    with pytest.raises(GraderError, match="not a calibration file"):
        load_calibration(tmp_path / "other.json")

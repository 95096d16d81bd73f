"""The calibration file: fitting the final model on every answer, saving it as JSON, loading and checking it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from grader import __version__
from grader.calibration.features import FEATURE_VERSION
from grader.calibration.fit import fit_dimension
from grader.calibration.table import FeatureTable
from grader.errors import GraderError
from grader.files import atomic_write
from grader.models import Calibration, CalibrationConfig, Dataset, NeighbourSet, Rubric


# ------------------------------------------------------------------------------------ the calibration file


def pack_vectors(vectors: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def unpack_vectors(text: str, dim: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32).reshape(-1, dim)


def fit_calibration(table: FeatureTable, dataset: Dataset, *, rubric: Rubric, built_rubric: bool,
                    config_hash: str, model_fingerprint: str, seed: int, group_by: str,
                    cfg: CalibrationConfig) -> Calibration:
    """Fit every dimension on all rows (model selection grouped like the requested CV) and package it."""
    everything = np.arange(len(table.ids))
    dims = {d: fit_dimension(table, d, everything, cfg, seed, group_by == "question")
            for d in dataset.dimensions}
    graded = [i for i in everything if table.questions[i]] if cfg.neighbours else []
    return Calibration(
        grader_version=__version__, feature_version=FEATURE_VERSION, config_hash=config_hash,
        model=model_fingerprint, rubric=rubric if built_rubric else None,
        dataset={"name": dataset.name, "kind": dataset.kind, "fingerprint": dataset.fingerprint,
                 "answers": len(dataset.answers), "questions": len(set(table.groups))},
        scale=dataset.scale, config=cfg, selection={"seed": seed, "group_by": group_by},
        dimensions=dims,
        neighbours=NeighbourSet(
            question_ids=[table.questions[i] for i in graded],
            grades={d: [round(float(table.grades[d][i]), 6) if not np.isnan(table.grades[d][i]) else -1.0
                        for i in graded] for d in dataset.dimensions},
            texts=[table.texts[i] for i in graded],
            dim=int(table.vectors.shape[1]), vectors=pack_vectors(table.vectors[graded])))


def save_calibration(cal: Calibration, path: str | Path) -> None:
    atomic_write(Path(path), (cal.model_dump_json(indent=1) + "\n").encode())


def load_calibration(path: str | Path, *, model_fingerprint: str | None = None) -> Calibration:
    """Read a calibration file; refuse (GraderError with the reason) one made by another grader feature
    version or another embedding model. (Whether it fits the run's rubric: `check_config`.)"""
    from pydantic import ValidationError

    name = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GraderError("calibration file not found", path=name) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GraderError(f"not a calibration file (unreadable JSON: {exc})", path=name) from None
    if not isinstance(data, dict) or data.get("kind") != "answer-grader-calibration":
        raise GraderError("not a calibration file (made by `grader calibrate --model`)", path=name)
    if data.get("feature_version") != FEATURE_VERSION or data.get("format_version") != "1":
        raise GraderError(f"calibration made with feature version {data.get('feature_version')!r}, this grader "
                          f"computes version {FEATURE_VERSION!r}; refit it with `grader calibrate`", path=name)
    try:
        cal = Calibration.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise GraderError(f"invalid calibration file: {'.'.join(map(str, err['loc']))}: {err['msg']}",
                          path=name) from None
    if model_fingerprint is not None and cal.model != model_fingerprint:
        raise GraderError(f"calibration fitted with embedding model {_short(cal.model)}, this run uses "
                          f"{_short(model_fingerprint)}; refit it or use the same backend", path=name)
    return cal


def check_config(cal: Calibration, config_hash: str, path: str | Path) -> None:
    """Refuse a calibration fitted with another rubric or configuration than the run's (`config_hash`)."""
    if cal.config_hash != config_hash:
        raise GraderError(f"calibration fitted with another rubric or configuration (its config {cal.config_hash}, "
                          f"this run {config_hash}); refit it with `grader calibrate` on this rubric", path=str(path))


def _short(fingerprint: str) -> str:
    parts = fingerprint.split("|")
    return f"{parts[0]} ({'|'.join(p[:12] for p in parts[1:])})" if len(parts) > 1 else fingerprint

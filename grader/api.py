"""The public API: `grade`, `write_reports`, `calibrate`, `agree`. Keyword-only, typed results; the CLI and the
benchmarks are thin layers over these. Configuration is read here, once (`Settings.from_env()` unless given),
and passed down frozen.

>>> import grader
>>> sorted(n for n in grader.__all__ if n.islower())
['agree', 'calibrate', 'grade', 'load_rubric', 'write_reports']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.agreement.gates import Gate, failed_gates, parse_gates
from grader.agreement.metrics import ratings_agreement
from grader.calibration.apply import Calibrator
from grader.calibration.run import CalibrateRun, featurize_dataset, run_calibrate
from grader.calibration.store import check_config, load_calibration
from grader.config import Settings
from grader.embedding.backends import DEFAULT_BACKEND
from grader.errors import GraderError
from grader.inputs.datasets import read_dataset, read_ratings
from grader.inputs.rubric import default_rubric_path, load_rubric
from grader.models import AgreementReport, BatchResult, CalibrationConfig, Dataset, Rubric, RunConfig
from grader.pipeline.grade import Toolkit, config_hash
from grader.reports import write_reports
from grader.reports.thresholds import check_threshold_names, check_threshold_range
from grader.run.engines import ENGINES, EngineOptions
from grader.run.toolkit import make_toolkit

__all__ = ["AgreeResult", "agree", "calibrate", "grade", "write_reports"]


def grade(paths: Sequence[str | Path], *, rubric: Rubric | str | Path | None = None, config: RunConfig | None = None,
          backend: str = DEFAULT_BACKEND, engine: str = "local", calibration: str | Path | None = "auto",
          settings: Settings | None = None, scheduler: str | None = None, workers: int = 2,
          partition_size: int = 200, client: Any = None,
          progress: Callable[[Sequence[Any]], Any] | None = None,
          on_partition_done: Callable[[int], None] | None = None) -> BatchResult:
    """Grade every answer that `paths` name (files, folders, globs) and return the reports, the failures and the
    readers' warnings (a transcript's skipped blocks).

    `rubric`: a loaded rubric or a YAML path (default: the bundled ML system design rubric; a calibration built
    from a short-answer dataset brings its own). `config`: the run's options (question, time plan, cache folder,
    thresholds; `config.cache_dir` None: no cache). `calibration`: "auto" (the shipped calibration of the default
    rubric, where it applies: grades 1-4), "none", or a file from `calibrate(..., fit_model=True)`, refused when
    it was fitted with another model or configuration. `engine`: `local`, or `dask` with
    `scheduler` / `workers` / `partition_size` / `client`. `progress` wraps the per-answer loop (local engine);
    `on_partition_done` is called with each finished partition's size (dask engine). Nothing is written:
    `write_reports` does that.
    """
    settings = settings or Settings.from_env()
    config = config or RunConfig()
    ENGINES.get(engine)  # an unknown engine fails before any model is loaded
    # The local engine grades with this toolkit; a calibration check needs its embedder's fingerprint.
    tools = make_toolkit(backend, settings, config.cache_dir, config.progress) \
        if engine == "local" or calibration is not None else None
    rubric, calibrator, headline = _rubric_and_calibrator(rubric, calibration, tools.embedder if tools else None)
    check_threshold_names(config, rubric)
    check_threshold_range(config, calibrator.cal.scale if calibrator else None, headline)
    options = EngineOptions(backend=backend, scheduler=scheduler, workers=workers, partition_size=partition_size,
                            client=client, calibrator=calibrator, settings=settings,
                            on_partition_done=on_partition_done)
    result = ENGINES.get(engine)([str(p) for p in paths], rubric, config, options,
                                 tools=tools if engine == "local" else None, progress=progress)
    return result.model_copy(update={"headline": headline})


def calibrate(dataset: Dataset | str | Path, *, folds: int = 10, seed: int = 0, group_by: str = "none",
              rubric: Rubric | str | Path | None = None, fit_model: bool = False, bootstrap: int = 1000,
              backend: str = DEFAULT_BACKEND, cache_dir: str | Path | None = None, settings: Settings | None = None,
              config: CalibrationConfig | None = None, progress: bool = False, tools: Toolkit | None = None,
              ) -> CalibrateRun:
    """Grade a human-graded dataset (a folder, or one read with `grader.inputs.datasets.read_dataset`) with the
    pipeline, cross-validate a calibration of every dimension against the human grades (out-of-fold predictions
    and the agreement summary), and with `fit_model` fit the calibration on every answer. `cache_dir` None: no
    embedding cache; `tools`: an already loaded toolkit (then `backend` and `cache_dir` are not used). Model
    fitting runs with single-threaded BLAS (small fits: threads only contend)."""
    from threadpoolctl import threadpool_limits

    settings = settings or Settings.from_env()
    data = dataset if isinstance(dataset, Dataset) else read_dataset(dataset)
    tools = tools or make_toolkit(backend, settings, cache_dir, progress)
    cfg = config or CalibrationConfig()
    loaded = rubric if isinstance(rubric, Rubric) or rubric is None else load_rubric(rubric)
    table, used, built = featurize_dataset(data, loaded, tools, cfg)
    with threadpool_limits(limits=1):
        return run_calibrate(data, table, rubric=used, built_rubric=built, model=tools.embedder.fingerprint,
                             config_hash=config_hash(used, tools.embedder, used.default_time_plan), folds=folds,
                             seed=seed, group_by=group_by, cfg=cfg, fit_model=fit_model, n_boot=bootstrap)


@dataclass(frozen=True)
class AgreeResult:
    """Agreement of every rater with the human consensus and with each other, per dimension, and the gates that
    failed (one line each). `report` is what `agreement.json` holds."""

    report: AgreementReport

    @property
    def failures(self) -> list[str]:
        return self.report.failures


def agree(ratings: str | Path, *, machines: Sequence[str] = (), fail_under: Sequence[str | Gate] = (),
          bootstrap: int = 1000, seed: int = 0) -> AgreeResult:
    """Read a long-form ratings CSV (item_id,rater,dimension,grade) and measure agreement: every rater against
    the consensus of the human raters (`machines` are left out of it), with bootstrap intervals; `fail_under`
    gates (`"qwk=0.7"`, `"bias=0.1"`: a machine, else any rater, fails when worse than the value)."""
    import numpy as np

    gates = parse_gates(fail_under)
    data, scale = read_ratings(str(ratings), list(machines))
    known = {r for _, raters, _ in data.values() for r in raters}
    unknown = sorted(set(machines) - known)
    if unknown:
        raise GraderError(f"--machine names rater(s) not in the file: {', '.join(unknown)}", path=str(ratings))
    dimensions = {dim: ratings_agreement(items, raters, np.asarray(grades, dtype=float), scale=scale,
                                         machines=machines, n_boot=bootstrap, seed=seed)
                  for dim, (items, raters, grades) in data.items()}
    return AgreeResult(report=AgreementReport(source=str(ratings), scale=scale, machines=sorted(machines),
                                              dimensions=dimensions,
                                              failures=failed_gates(dimensions, gates, machines)))


def _backend(fingerprint: str) -> str:
    """`onnx fp32`, `torch fp32`, `hashing`: the backend an embedder fingerprint names."""
    parts = fingerprint.split("|")
    return " ".join(parts[2:4]) if len(parts) >= 4 and "/" in parts[0] else parts[0]


#: The calibration shipped for the default rubric (benchmarks/real.py --write-calibration): grades on the 1-4 scale
#: from the graded real write-ups and datasets/mlsd_examples; used by default where it applies.
SHIPPED_CALIBRATION = Path(__file__).resolve().parent / "resources" / "calibration" / "ml_system_design.json"


def _rubric_and_calibrator(rubric: Rubric | str | Path | None, calibration: str | Path | None,
                           embedder: Any) -> tuple[Rubric, Calibrator | None, str]:
    """The rubric (a calibration built from a short-answer dataset carries its own, used when no rubric is
    given), the calibrator and what the reports headline. `calibration`: "auto" (the shipped calibration where
    its embedding model and configuration are the run's, else raw scores, and the note says why), "none" or
    None (raw scores), or a file (refused, with the reason, when fitted with another model or configuration)."""
    if isinstance(rubric, Rubric):
        loaded: Rubric | None = rubric
    else:
        loaded = load_rubric(rubric) if rubric is not None else None
    if calibration is None or str(calibration) == "none":
        return loaded or load_rubric(default_rubric_path()), None, "raw scores 0-1 (--calibration none)"
    if str(calibration) == "auto":
        default = load_rubric(default_rubric_path())
        used = loaded or default
        if used != default:
            return used, None, "raw scores 0-1 (the shipped calibration fits the default rubric only)"
        cal = load_calibration(SHIPPED_CALIBRATION)
        if cal.model != embedder.fingerprint:
            return used, None, (f"raw scores 0-1 (the shipped calibration needs the {_backend(cal.model)} backend; "
                                f"this run uses {_backend(embedder.fingerprint)})")
        if cal.config_hash != config_hash(used, embedder, used.default_time_plan):
            return used, None, "raw scores 0-1 (the shipped calibration was fitted by another grader version)"
        return used, Calibrator(cal), f"grades {cal.scale.min:g}-{cal.scale.max:g} (shipped calibration)"
    cal = load_calibration(calibration, model_fingerprint=embedder.fingerprint)
    used = loaded or cal.rubric or load_rubric(default_rubric_path())
    check_config(cal, config_hash(used, embedder, used.default_time_plan), calibration)
    return used, Calibrator(cal), f"grades {cal.scale.min:g}-{cal.scale.max:g} (calibration {Path(calibration).name})"

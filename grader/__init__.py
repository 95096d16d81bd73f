"""answer-grader: grade written or spoken answers to ML system design questions.

The public API (keyword-only, typed results; the CLI and the benchmarks use nothing else):

- `grade(paths, *, rubric=None, config=RunConfig(...), backend="onnx", ...) -> BatchResult`
- `write_reports(result, formats, out_dir, config) -> list[Path]`
- `calibrate(dataset, *, folds=10, group_by="none", fit_model=False, ...) -> CalibrateRun` (`.summary`: a
  `CalibrationSummary`, `.predictions`: `PredictionRow`s)
- `agree(ratings_csv, *, machines=(), fail_under=(), ...) -> AgreeResult` (`.report`: an `AgreementReport`)
- `load_rubric(path) -> Rubric`, and the models `Rubric`, `RunConfig`, `Report`, `BatchResult`, `Settings`.

Names are resolved lazily, so `import grader` (and the CLI's `--help`) stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "grade": "grader.api",
    "write_reports": "grader.api",
    "calibrate": "grader.api",
    "agree": "grader.api",
    "AgreeResult": "grader.api",
    "CalibrateRun": "grader.calibration.run",
    "load_rubric": "grader.inputs.rubric",
    "BatchResult": "grader.models",
    "Report": "grader.models",
    "Rubric": "grader.models",
    "RunConfig": "grader.models",
    "Settings": "grader.config",
    "GraderError": "grader.errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'grader' has no attribute {name!r}")

"""answer-grader: grade written or spoken answers to ML system design questions.

The public API is re-exported here lazily, so `import grader` (and the CLI's `--help`) stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "BatchResult",
    "GraderError",
    "Report",
    "Rubric",
    "RunConfig",
    "Toolkit",
    "grade_answers",
    "grade_paths",
    "load_rubric",
]

_LAZY = {
    "BatchResult": "grader.models",
    "Report": "grader.models",
    "Rubric": "grader.models",
    "RunConfig": "grader.models",
    "GraderError": "grader.errors",
    "Toolkit": "grader.pipeline",
    "grade_answers": "grader.pipeline",
    "grade_paths": "grader.pipeline",
    "load_rubric": "grader.rubric",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'grader' has no attribute {name!r}")

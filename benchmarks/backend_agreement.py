"""How much each embedding backend moves the reports against the reference (`torch`, fp32): over every answer we
have (the example and golden answers, datasets/mlsd_examples, and the public write-ups of ../shared/real_answers
when present, read in place), the largest absolute change of any raw score (overall, dimension or stage
coverage) and the calibrated grades that change (the shipped calibration's models applied to each backend's
features, as if it had been fitted on that backend).

    .venv/bin/python benchmarks/backend_agreement.py [--backends onnx,torch-bf16,onnx-int8] [--corpus DIR]

The rule for the default backend (issues 13 and 21): the fastest one whose largest raw change is <= 0.01 on every
set and which changes no calibrated grade.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETS = {
    "examples+golden": ["examples/answers", "grader/resources/golden_answers"],
    "mlsd_examples": ["datasets/mlsd_examples/answers"],
}

Scores = dict[str, dict[str, float]]


def scores(backend: str, paths: list[str], calibrated: bool = False) -> tuple[Scores, Scores]:
    """Raw scores (overall, dimensions, stage coverage) and, with `calibrated`, the grades the shipped
    calibration gives (overall, dimensions) per answer path."""
    from grader.api import SHIPPED_CALIBRATION
    from grader.calibration.apply import Calibrator
    from grader.calibration.store import load_calibration
    from grader.config import Settings
    from grader.inputs.rubric import default_rubric_path, load_rubric
    from grader.models import RunConfig
    from grader.run.batch import grade_paths
    from grader.run.toolkit import make_toolkit

    tools = make_toolkit(backend, Settings.from_env(), None)
    calibrator = Calibrator(load_calibration(SHIPPED_CALIBRATION)) if calibrated else None
    result = grade_paths([str(p) for p in paths], load_rubric(default_rubric_path()), RunConfig(), tools,
                         calibrator=calibrator)
    for f in result.failures:
        print(f"{backend}: not graded: {f.message}", file=sys.stderr)
    raw = {r.answer.path: {"overall": r.overall.score, **{d: s.score for d, s in r.dimensions.items()},
                           **{f"coverage {s.stage}": s.coverage for s in r.sections}} for r in result.reports}
    grades = {r.answer.path: {"overall": r.overall.grade, **{d: s.grade for d, s in r.dimensions.items()}}
              for r in result.reports} if calibrated else {}
    return raw, grades


def largest_change(ref: Scores, other: Scores) -> tuple[float, str]:
    worst = (0.0, "")
    for path, dims in ref.items():
        for name, value in dims.items():
            delta = abs(other[path][name] - value)
            if delta > worst[0]:
                worst = (delta, f"{Path(path).name} {name}")
    return worst


def changed(ref: Scores, other: Scores) -> list[str]:
    return [f"{Path(p).name} {n} {v:g}->{other[p][n]:g}" for p, dims in ref.items() for n, v in dims.items()
            if other[p][n] != v]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="onnx,torch-bf16,onnx-int8", help="backends to compare with torch")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "real_answers" / "answers"))
    args = ap.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    sets = {k: [ROOT / p for p in v] for k, v in SETS.items()}
    if Path(args.corpus).is_dir():
        sets["real write-ups"] = [Path(args.corpus)]
    print("| set | answers | backend | largest raw change vs torch fp32 | where | calibrated grades changed |")
    print("|---|---|---|---|---|---|")
    for name, paths in sets.items():
        ref, ref_grades = scores("torch", paths, calibrated=True)
        for b in backends:
            raw, grades = scores(b, paths, calibrated=True)
            delta, where = largest_change(ref, raw)
            moved = changed(ref_grades, grades)
            print(f"| {name} | {len(ref)} | {b} | {delta:.4f} | {where} | {len(moved)}"
                  + (f": {'; '.join(moved[:4])}{' ...' if len(moved) > 4 else ''}" if moved else "") + " |",
                  flush=True)


if __name__ == "__main__":
    main()

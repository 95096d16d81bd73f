"""How much each embedding backend moves the scores against the reference (`torch`): the largest absolute change
of an overall or dimension score, over the example answers and the golden answers (the set the default backend is
chosen on), and over the graded example set (datasets/mlsd_examples).

    .venv/bin/python benchmarks/backend_agreement.py [--backends onnx,onnx-int8]

The default backend is the fastest one whose largest change on the first set is <= 0.01 (issue 13).
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


def scores(backend: str, paths: list[str]) -> dict[str, dict[str, float]]:
    import grader

    result = grader.grade([str(ROOT / p) for p in paths], config=grader.RunConfig(), backend=backend)
    if result.failures:
        raise SystemExit(f"{backend}: {result.failures[0].message}")
    return {r.answer.path: {"overall": r.overall.score, **{d: s.score for d, s in r.dimensions.items()}}
            for r in result.reports}


def largest_change(ref: dict[str, dict[str, float]], other: dict[str, dict[str, float]]) -> tuple[float, str]:
    worst = (0.0, "")
    for path, dims in ref.items():
        for name, value in dims.items():
            delta = abs(other[path][name] - value)
            if delta > worst[0]:
                worst = (delta, f"{Path(path).name} {name}")
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="onnx,onnx-int8", help="backends to compare with torch")
    args = ap.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print("| set | answers | backend | largest score change vs torch | where |")
    print("|---|---|---|---|---|")
    for name, paths in SETS.items():
        ref = scores("torch", paths)
        for b in backends:
            delta, where = largest_change(ref, scores(b, paths))
            print(f"| {name} | {len(ref)} | {b} | {delta:.4f} | {where} |", flush=True)


if __name__ == "__main__":
    main()

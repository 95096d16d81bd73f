"""Spearman correlation of the tool's scores with the human grades on the graded examples: the overall score
pooled and per question, and each dimension pooled.

    .venv/bin/python benchmarks/human_agreement.py [--answers datasets/mlsd_examples/answers] [--by-kind]

Grades every answer (real model, embedding cache on) and joins with grades.csv (dimension `overall`) by
answer id = file stem.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from scipy.stats import spearmanr

    import grader

    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", default=str(ROOT / "datasets" / "mlsd_examples" / "answers"))
    ap.add_argument("--by-kind", action="store_true", help="print every answer's score and grade")
    args = ap.parse_args()
    rows = list(csv.DictReader((Path(args.answers).parent / "grades.csv").open()))
    grades = {(r["answer_id"], r["dimension"]): float(r["grade"]) for r in rows}
    settings = grader.Settings.from_env()
    config = grader.RunConfig(cache_dir=str(settings.cache_root))
    rubric = ROOT / "grader" / "resources" / "rubrics" / "ml_system_design.yaml"
    result = grader.grade([args.answers], rubric=rubric, config=config, backend="torch", settings=settings)
    reports = [r for r in result.reports if (Path(r.answer.path).stem, "overall") in grades]
    if args.by_kind:
        for r in reports:
            stem = Path(r.answer.path).stem
            print(f"{stem:22s} {r.overall.score:.3f} {grades[stem, 'overall']:g}")

    def rho(subset, score, dim):
        tool = [score(r) for r in subset]
        human = [grades[Path(r.answer.path).stem, dim] for r in subset]
        return spearmanr(tool, human).statistic

    for q in sorted({r.answer.question_id for r in reports}):
        subset = [r for r in reports if r.answer.question_id == q]
        print(f"{q}: Spearman overall {rho(subset, lambda r: r.overall.score, 'overall'):.3f} ({len(subset)} answers)")
    for dim in reports[0].dimensions if reports else []:
        print(f"{dim}: pooled Spearman {rho(reports, lambda r, d=dim: r.dimensions[d].score, dim):.3f}")
    print(f"pooled Spearman (overall score vs human overall grade): "
          f"{rho(reports, lambda r: r.overall.score, 'overall'):.3f} over {len(reports)} answers")

if __name__ == "__main__":
    main()

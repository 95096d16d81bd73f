"""Pooled Spearman correlation of the overall score with the human overall grade on the graded examples.

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

    from grader.cli import _cache_dir
    from grader.embed import EmbeddingCache, SentenceTransformerEmbedder
    from grader.models import RunConfig
    from grader.pipeline import Toolkit, grade_paths
    from grader.rubric import load_rubric
    from grader.sections import load_sentencizer

    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", default=str(ROOT / "datasets" / "mlsd_examples" / "answers"))
    ap.add_argument("--by-kind", action="store_true", help="print every answer's score and grade")
    args = ap.parse_args()
    grades = {row["answer_id"]: float(row["grade"]) for row in csv.DictReader(
        (Path(args.answers).parent / "grades.csv").open()) if row["dimension"] == "overall"}
    emb = SentenceTransformerEmbedder()
    tools = Toolkit(nlp=load_sentencizer(), embedder=emb, cache=EmbeddingCache(_cache_dir(None), emb.fingerprint))
    result = grade_paths([args.answers], load_rubric(ROOT / "rubrics" / "ml_system_design.yaml"), RunConfig(), tools)
    pairs = [(r.overall.score, grades[Path(r.answer.path).stem]) for r in result.reports
             if Path(r.answer.path).stem in grades]
    if args.by_kind:
        for r in result.reports:
            print(f"{Path(r.answer.path).stem:22s} {r.overall.score:.3f} {grades.get(Path(r.answer.path).stem)}")
    rho = spearmanr([p for p, _ in pairs], [h for _, h in pairs]).statistic
    print(f"pooled Spearman (overall score vs human overall grade): {rho:.3f} over {len(pairs)} answers")


if __name__ == "__main__":
    main()

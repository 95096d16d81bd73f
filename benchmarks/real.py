"""Grades on real write-ups: the grader's scores on the public write-ups of ../shared/real_answers (read in place,
never copied) against the mean of the two rater passes (grades_rater_a/b.csv: LLM rater passes following
RATING.md, not human interviewers), beside the word-count baseline; and question detection.

    .venv/bin/python benchmarks/real.py [--corpus ../shared/real_answers] [--backend torch]

Spearman per dimension and overall on every graded file and on the English-only ones (SOURCES.tsv `language`
exactly "en"); question detection without --question: answers to our ten questions matched to theirs, other and
off-topic files left unknown. This is the development corpus: the raw scores are not fitted on it, but every
change to the grader made while looking at it is tuned on it.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scipy.stats import spearmanr  # noqa: E402

import grader  # noqa: E402
from grader.models import RunConfig  # noqa: E402

DIMENSIONS = ["problem_framing", "data_intuition", "modeling_judgment", "feature_engineering", "training_at_scale",
              "serving_latency", "feedback_loops", "overall"]


def rater_mean(corpus: Path) -> dict[str, dict[str, float]]:
    grades: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for name in ("grades_rater_a.csv", "grades_rater_b.csv"):
        for row in csv.DictReader((corpus / name).open(encoding="utf-8")):
            for d in DIMENSIONS:
                if row.get(d, "").strip():
                    grades[row["file"]][d].append(float(row[d]))
    return {f: {d: float(np.mean(v)) for d, v in by.items()} for f, by in grades.items()}


def rho(x: list[float], y: list[float]) -> float:
    return float(spearmanr(x, y).statistic) if len(x) > 2 else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "real_answers"))
    ap.add_argument("--backend", default="torch")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not (corpus / "answers").is_dir():
        print(f"no corpus at {corpus} (expected answers/, SOURCES.tsv and the grade files)", file=sys.stderr)
        return 2
    sources = {r["file"]: r for r in csv.DictReader((corpus / "SOURCES.tsv").open(encoding="utf-8"), delimiter="\t")}
    grades = rater_mean(corpus)
    files = sorted((corpus / "answers").glob("*.md"))
    result = grader.grade(files, backend=args.backend, config=RunConfig(cache_dir=None, progress=False))
    for f in result.failures:
        print(f"not graded: {Path(f.path).name}: {f.message}", file=sys.stderr)
    reports = {Path(r.answer.path).name: r for r in result.reports}
    names = sorted(n for n in reports if n in grades)
    english = [n for n in names if sources[n]["language"] == "en"]
    words = {n: len((corpus / "answers" / n).read_text(encoding="utf-8", errors="replace").split()) for n in names}

    def score(n: str, d: str) -> float:
        r = reports[n]
        return r.overall.score if d == "overall" else r.dimensions[d].score

    print(f"# Real write-ups: {len(names)} graded files ({len(english)} English-only); reference = mean of two LLM "
          f"rater passes (RATING.md)\n")
    print("| dimension | tool | word count | tool, English-only | word count, English-only |\n|---|---:|---:|---:|---:|")
    for d in DIMENSIONS:
        cells = []
        for subset in (names, english):
            ref = [grades[n][d] for n in subset]
            cells += [rho([score(n, d) for n in subset], ref), rho([words[n] for n in subset], ref)]
        print(f"| {d} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    top = [n for n in names if grades[n]["overall"] >= 3]
    if top:
        s = sorted(reports[n].overall.score for n in top)
        print(f"\nfiles the raters put at 3 or more overall: {len(top)}, raw overall {s[0]:.2f}-{s[-1]:.2f} "
              f"(median {float(np.median(s)):.2f})")
    ours = {f"q{i:02d}" for i in range(1, 11)}
    matched = total = controls = controls_unknown = 0
    wrong = []
    for n, r in sorted(reports.items()):
        expected = sources[n]["question_id"]
        got = r.answer.question_id
        if expected in ours:
            total += 1
            matched += got == expected
            if got != expected:
                wrong.append(f"{n[:3]} {expected}->{got or 'unknown'}")
        else:
            controls += 1
            controls_unknown += got is None or got not in ours
    print(f"\nquestion detection: {matched} of {total} answers to our questions matched; {controls_unknown} of "
          f"{controls} other/off-topic files left unknown")
    if wrong:
        print("missed: " + ", ".join(wrong))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fit the size of the mistake and penalty deductions, and their cap per dimension, to the rater passes' grades
of the public write-ups (../shared/real_answers, read in place; grades_rater_a/b.csv are LLM rater passes).

    .venv/bin/python benchmarks/fit_deductions.py [--corpus ../shared/real_answers]

The grader runs once with every mistake and penalty deduction at 0 (the scores before flags, and the flags
raised); then each (deduction, cap) of a grid is applied as `grader.pipeline.scoring` does (every flag naming a
dimension multiplies it by 1 - deduction, never below 1 - cap) and scored by the mean Spearman correlation,
over the seven dimensions and the overall score, with the mean of the two rater passes. Leave-one-repository-
out: the pair chosen without each repository's files, to see whether the choice is stable. This is the
development set: the figures are tuned on it.

Gaming deductions are fitted on our own gamed answers instead (tests/data/adversarial and the keyword lists of
datasets/mlsd_examples): per flag, the smallest deduction that keeps every gamed answer carrying it at or under
the genuine weak answer of its question, plus a margin of 0.05, rounded up to 0.05.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scipy.stats import spearmanr  # noqa: E402

import grader  # noqa: E402
from grader.inputs.rubric import default_rubric_path, load_rubric  # noqa: E402
from grader.models import RunConfig  # noqa: E402
from real import rater_mean  # noqa: E402  (benchmarks/real.py: the mean of the two rater passes)

DEDUCTIONS = [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2]
CAPS = [0.1, 0.15, 0.2, 0.25, 0.35, 0.5]


def unflagged_rubric():
    r = load_rubric(default_rubric_path())
    mistakes = [m.model_copy(update={"deduction": 0.0}) for m in r.mistakes]
    questions = [q.model_copy(update={"penalties": [p.model_copy(update={"deduction": 0.0}) for p in q.penalties]})
                 for q in r.questions]
    return r.model_copy(update={"mistakes": mistakes, "questions": questions,
                                "detection": r.detection.model_copy(update={"penalty_deduction": 0.0})})


def apply(base: dict[str, float], counts: dict[str, int], d: float, cap: float, dims: list[str]) -> dict[str, float]:
    out = {k: base[k] * max((1 - d) ** counts.get(k, 0), 1 - cap) for k in dims}
    out["overall"] = float(np.mean([out[k] for k in dims]))
    return out


def agreement(files: list[str], base, counts, grades, d: float, cap: float, dims: list[str]) -> float:
    rhos = []
    for k in dims + ["overall"]:
        tool = [apply(base[f], counts[f], d, cap, dims)[k] for f in files]
        human = [grades[f][k] for f in files]
        rhos.append(spearmanr(tool, human).statistic)
    return float(np.nanmean(rhos))


def best(files, base, counts, grades, dims) -> tuple[float, float, float]:
    scored = [(agreement(files, base, counts, grades, d, c, dims), d, c) for d in DEDUCTIONS for c in CAPS]
    top = max(s for s, _, _ in scored)
    # ties (a cap never reached): the smallest deduction, then the smallest cap
    return min(((s, d, c) for s, d, c in scored if s >= top - 1e-12), key=lambda x: (x[1], x[2]))


def gaming_deductions(rubric, backend: str) -> dict[str, tuple[float, int]]:
    """Flag id -> (fitted deduction, gamed answers carrying it)."""
    zero = {k: v.model_copy(update={"deduction": 0.0}) for k, v in rubric.detection.gaming.items()}
    bare = rubric.model_copy(update={"detection": rubric.detection.model_copy(update={"gaming": zero})})
    examples = ROOT / "datasets" / "mlsd_examples" / "answers"
    gamed = sorted((ROOT / "tests" / "data" / "adversarial").glob("*.md")) + sorted(examples.glob("*_keyword_list.md"))
    result = grader.grade(gamed + sorted(examples.glob("*_weak.md")), rubric=bare, backend=backend,
                          config=RunConfig(cache_dir=None, progress=False))
    weak = {Path(r.answer.path).stem.split("_")[0]: r.overall.score for r in result.reports
            if Path(r.answer.path).stem.endswith("_weak")}
    need: dict[str, list[float]] = defaultdict(list)
    for r in result.reports:
        stem = Path(r.answer.path).stem
        if stem.endswith("_weak"):
            continue
        for m in r.mistakes:
            if m.source == "gaming":
                need[m.id].append(max(0.0, 1 - weak[stem.split("_")[0]] / r.overall.score) if r.overall.score else 0.0)
    return {k: (math.ceil((max(v) + 0.05) / 0.05 - 1e-9) * 0.05, len(v)) for k, v in sorted(need.items())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "real_answers"))
    ap.add_argument("--backend", default="torch")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    rubric = unflagged_rubric()
    dims = [d.id for d in rubric.dimensions]
    result = grader.grade(sorted((corpus / "answers").glob("*.md")), rubric=rubric, backend=args.backend,
                          config=RunConfig(cache_dir=None, progress=False))
    grades = rater_mean(corpus)
    repos = {r["file"]: r["repo"] for r in csv.DictReader((corpus / "SOURCES.tsv").open(encoding="utf-8"),
                                                          delimiter="\t")}
    base, counts = {}, {}
    for rep in result.reports:
        name = Path(rep.answer.path).name
        if name not in grades:
            continue
        base[name] = {k: v.score for k, v in rep.dimensions.items()}
        counts[name] = defaultdict(int)
        for m in rep.mistakes:
            if m.source in ("mistake", "penalty"):
                for k in m.dimensions:
                    counts[name][k] += 1
    files = sorted(base)
    print(f"{len(files)} graded write-ups; flags per answer (mistakes and penalties): "
          f"{np.mean([max(c.values(), default=0) for c in counts.values()]):.1f} on the most flagged dimension\n")
    print("mean Spearman (7 dimensions + overall) with the raters' mean, by deduction (rows) and cap (columns):\n")
    print("| deduction | " + " | ".join(f"cap {c}" for c in CAPS) + " |\n|---:|" + "---:|" * len(CAPS))
    for d in DEDUCTIONS:
        print(f"| {d:.2f} | " + " | ".join(f"{agreement(files, base, counts, grades, d, c, dims):.3f}" for c in CAPS)
              + " |")
    s, d, c = best(files, base, counts, grades, dims)
    print(f"\nbest on all {len(files)} files: deduction {d}, cap {c} (mean Spearman {s:.3f}; "
          f"no deduction: {agreement(files, base, counts, grades, 0.0, 1.0, dims):.3f})")
    print("\nleave one repository out (the pair chosen on the other repositories' files):")
    picks = defaultdict(int)
    for repo in sorted({repos[f] for f in files}):
        rest = [f for f in files if repos[f] != repo]
        _, dd, cc = best(rest, base, counts, grades, dims)
        picks[(dd, cc)] += 1
    for (dd, cc), n in sorted(picks.items(), key=lambda x: -x[1]):
        print(f"  deduction {dd}, cap {cc}: chosen in {n} of {sum(picks.values())} folds")
    print("\ngaming deductions fitted on our own gamed answers (keep each under its question's genuine weak answer):")
    for flag, (d, n) in gaming_deductions(load_rubric(default_rubric_path()), args.backend).items():
        print(f"  {flag}: {d:.2f} ({n} gamed answers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

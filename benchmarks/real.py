"""Grades on real write-ups (`make real`): the public write-ups of ../shared/real_answers (read in place, never
copied) against the mean of its two rater passes (grades_rater_a/b.csv: LLM rater passes following RATING.md,
not human interviewers), beside the word-count baseline; the calibration the grader ships, cross-validated; and
question detection.

    .venv/bin/python benchmarks/real.py [--corpus ../shared/real_answers] [--write-calibration PATH]

What it does, in one run:

1. Reads the corpus (SOURCES.tsv, both grade files) and `datasets/mlsd_examples` (the team's graded answers)
   into one dataset on the 1-4 scale, and grades every answer with the default backend, the question
   detected as `grade` detects it (no --question).
2. Cross-validates the calibration (CALIBRATION below) with folds grouped by source: a real write-up's fold is
   its source repository (one author's files never sit on both sides), a team answer's is its question. Each
   answer's grade is predicted by a model that never saw its group.
3. Prints, on the real write-ups (all, and English-only: SOURCES.tsv `language` exactly "en"), Spearman with
   the raters' mean per dimension and overall for the raw score ("before"), the calibrated grade and word
   count; QWK, MAE and exact/adjacent agreement of the calibrated grades; the same on the team's answers.
4. `--ratings PATH`: writes a long-form ratings CSV (item_id,rater,dimension,grade) of the real write-ups: both
   rater passes and the grader's cross-validated grade (rater `grader`), for `grader agree PATH --machine grader`
   (file names and grades only, no text).
5. `--write-calibration`: fits the calibration on every answer and writes it (the shipped file is
   grader/resources/calibration/ml_system_design.json). It stores model coefficients only: no answer text,
   vector or grade (`neighbours: false`).

This corpus is the development set: the features and the calibration's configuration were chosen while looking
at it, so its cross-validated figures are optimistic; the held-out set (other write-ups, same protocol) is what
measures the work.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scipy.stats import spearmanr  # noqa: E402

from grader.agreement.metrics import compare  # noqa: E402
from grader.calibration.fit import cross_validate  # noqa: E402
from grader.calibration.run import featurize_dataset  # noqa: E402
from grader.calibration.store import fit_calibration, save_calibration  # noqa: E402
from grader.calibration.table import to_scale  # noqa: E402
from grader.config import Settings  # noqa: E402
from grader.inputs.answers import read_answer  # noqa: E402
from grader.inputs.datasets import MAX_ANSWER_BYTES, read_answer_folder  # noqa: E402
from grader.inputs.rubric import default_rubric_path, load_rubric  # noqa: E402
from grader.models import CalibrationConfig, Dataset, GradedAnswer, Scale  # noqa: E402
from grader.pipeline.grade import config_hash  # noqa: E402
from grader.run.toolkit import make_toolkit  # noqa: E402

DIMENSIONS = ["problem_framing", "data_intuition", "modeling_judgment", "feature_engineering", "training_at_scale",
              "serving_latency", "feedback_loops", "overall"]
RATERS = {"grades_rater_a.csv": "rater_a", "grades_rater_b.csv": "rater_b"}
SCALE = Scale(min=1, max=4, type="ordinal", step=1)
#: The shipped calibration's configuration (recorded in the file): per dimension a ridge regression over the raw
#: score and evidence that does not depend on one design (concept credit, length, figures, English share); no
#: neighbours, so the file holds no answer text.
CALIBRATION = CalibrationConfig(
    features=["raw_{dimension}", "log_words", "concepts_{dimension}", "concepts_total", "log_numbers",
              "english_share"],
    neighbours=False, candidates=["ridge"])


def rater_grades(corpus: Path) -> dict[str, dict[str, dict[str, float]]]:
    """file -> dimension -> rater -> grade."""
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for name, rater in RATERS.items():
        for row in csv.DictReader((corpus / name).open(encoding="utf-8")):
            for d in DIMENSIONS:
                if row.get(d, "").strip():
                    out[row["file"]][d][rater] = float(row[d])
    return out


def rater_mean(corpus: Path) -> dict[str, dict[str, float]]:
    """file -> dimension -> the mean of the rater passes (benchmarks/fit_deductions.py reads it too)."""
    return {f: {d: float(np.mean(list(r.values()))) for d, r in by.items()} for f, by in rater_grades(corpus).items()}


def combined_dataset(corpus: Path, examples: Path) -> tuple[Dataset, list[str], dict[str, dict]]:
    """The real write-ups and the team's graded answers as one dataset on the 1-4 scale; with each answer's CV
    group (source repository, or `ours:<question>`) and the corpus's SOURCES.tsv rows."""
    sources = {r["file"]: r for r in csv.DictReader((corpus / "SOURCES.tsv").open(encoding="utf-8"), delimiter="\t")}
    grades = rater_grades(corpus)
    digest = hashlib.sha256()
    answers, groups = [], []
    for name in sorted(grades):
        path = corpus / "answers" / name
        digest.update(path.read_bytes())
        ratings = {d: dict(r) for d, r in grades[name].items()}
        answers.append(GradedAnswer(id=name, question_id="", answer=read_answer(path, max_bytes=MAX_ANSWER_BYTES),
                                    grades={d: float(np.mean(list(r.values()))) for d, r in ratings.items()},
                                    ratings=ratings, label="real"))
        groups.append(sources[name]["repo"])
    ours = read_answer_folder(examples)
    digest.update(ours.fingerprint.encode())
    for a in ours.answers:
        answers.append(a.model_copy(update={"label": "ours"}))
        groups.append(f"ours:{a.question_id}")
    data = Dataset(name="real_answers+mlsd_examples", kind="answer_folder", path=str(corpus), scale=SCALE,
                   fingerprint=digest.hexdigest(), dimensions=DIMENSIONS, questions=[], answers=answers)
    return data, groups, sources


def write_ratings(path: Path, data: Dataset, real: np.ndarray, cv: dict[str, np.ndarray]) -> None:
    """Both rater passes and the grader's cross-validated grade (rounded to the scale, as a report states it)."""
    from grader.calibration.apply import snap

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["item_id", "rater", "dimension", "grade"])
        for i in np.flatnonzero(real):
            a = data.answers[i]
            for d in DIMENSIONS:
                for rater, grade in sorted(a.ratings.get(d, {}).items()):
                    w.writerow([a.id, rater, d, f"{grade:g}"])
                w.writerow([a.id, "grader", d, f"{snap(float(cv[d][i]), SCALE):g}"])


def rho(x, y) -> float:
    return float(spearmanr(x, y).statistic) if len(x) > 2 else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "real_answers"))
    ap.add_argument("--examples", default=str(ROOT / "datasets" / "mlsd_examples"))
    ap.add_argument("--write-calibration", default=None, metavar="PATH",
                    help="fit the calibration on every answer and write it here")
    ap.add_argument("--ratings", default=None, metavar="PATH",
                    help="write both rater passes and the cross-validated grades here, for grader agree")
    ap.add_argument("--backend", default="onnx", help="embedding backend (the shipped calibration: onnx)")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not (corpus / "answers").is_dir():
        print(f"no corpus at {corpus} (expected answers/, SOURCES.tsv and the grade files)", file=sys.stderr)
        return 2
    data, groups, sources = combined_dataset(corpus, Path(args.examples))
    tools = make_toolkit(args.backend, Settings.from_env(), None)
    rubric = load_rubric(default_rubric_path())
    table, rubric, _ = featurize_dataset(data, rubric, tools, CALIBRATION)
    real = np.array([a.label == "real" for a in data.answers])
    english = real & np.array([sources.get(a.id, {}).get("language") == "en" for a in data.answers])
    words = np.array([math.log1p(len(a.answer.text.split())) for a in data.answers])

    cv = {d: to_scale(cross_validate(table, d, folds=len(set(groups)), seed=0, group_by="none",
                                     cfg=CALIBRATION, cv_groups=groups).predicted, SCALE) for d in DIMENSIONS}
    mean = {d: np.array([a.grades.get(d, np.nan) for a in data.answers]) for d in DIMENSIONS}
    print(f"# Real write-ups: {int(real.sum())} files ({int(english.sum())} English-only), reference = mean of two "
          f"LLM rater passes (RATING.md); calibrated = cross-validated, folds grouped by source repository "
          f"({len(set(np.asarray(groups)[real]))} repositories)\n")
    print("| dimension | raw (before) | calibrated | word count | raw, English-only | calibrated, English-only "
          "| word count, English-only |\n|---|---:|---:|---:|---:|---:|---:|")
    for d in DIMENSIONS:
        cells = []
        for subset in (real, english):
            ref = mean[d][subset]
            cells += [rho(table.raw(d)[subset], ref), rho(cv[d][subset], ref), rho(words[subset], ref)]
        print(f"| {d} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")

    print("\n| calibrated grade vs the raters | QWK | MAE (value) | MAE (grade) | exact | adjacent | n |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    for label, subset in (("real write-ups, overall", real), ("real, English-only, overall", english),
                          ("team answers (mlsd_examples), overall", ~real)):
        humans = np.array([[data.answers[i].ratings.get("overall", {}).get(r, np.nan)
                            for r in ("rater_a", "rater_b", "interviewer_a")] for i in np.flatnonzero(subset)])
        humans = humans[:, ~np.isnan(humans).all(axis=0)]
        pred = cv["overall"][subset]
        m = compare(humans, pred, scale=SCALE)
        grade = np.clip(np.floor(pred + 0.5), 1, 4)
        print(f"| {label} | {m['qwk']:.3f} | {m['mae']:.3f} | {np.abs(grade - mean['overall'][subset]).mean():.3f} "
              f"| {m['exact']:.3f} | {m['adjacent']:.3f} | {int(subset.sum())} |")
    ours = ~real
    print("\nteam answers (mlsd_examples, grouped by question), Spearman: "
          + ", ".join(f"{d} {rho(cv[d][ours], mean[d][ours]):.3f}" for d in DIMENSIONS))

    top = real & (mean["overall"] >= 3)
    if top.any():
        print(f"\nreal files the raters put at 3 or more overall: {int(top.sum())}; raw overall "
              f"{table.raw('overall')[top].min():.2f}-{table.raw('overall')[top].max():.2f}, calibrated value "
              f"{cv['overall'][top].min():.2f}-{cv['overall'][top].max():.2f}")

    ourq = {f"q{i:02d}" for i in range(1, 11)}
    matched = total = controls = unknown = 0
    wrong = []
    for i in np.flatnonzero(real):
        name = data.answers[i].id
        expected, got = sources[name]["question_id"], table.questions[i]
        if expected in ourq:
            total += 1
            matched += got == expected
            if got != expected:
                wrong.append(f"{name[:3]} {expected}->{got or 'unknown'}")
        else:
            controls += 1
            unknown += got not in ourq
    print(f"\nquestion detection: {matched} of {total} answers to our questions matched; {unknown} of {controls} "
          f"other/off-topic files left unknown" + (f"; missed: {', '.join(wrong)}" if wrong else ""))

    if args.ratings:
        write_ratings(Path(args.ratings), data, real, cv)
        print(f"\nratings written to {args.ratings}")
    if args.write_calibration:
        cal = fit_calibration(table, data, rubric=rubric, built_rubric=False,
                              config_hash=config_hash(rubric, tools.embedder, rubric.default_time_plan),
                              model_fingerprint=tools.embedder.fingerprint, seed=0, group_by="none", cfg=CALIBRATION)
        save_calibration(cal, args.write_calibration)
        print(f"\ncalibration written to {args.write_calibration}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`make real` (benchmarks/real.py) on a small synthetic corpus laid out like ../shared/real_answers, so the
benchmark's reading, grouped cross-validation, ratings export and calibration fit are tested without that
folder (the hashing embedder stands in for the model)."""

import csv
import json
import subprocess
import sys

from helpers import ROOT

DIMS = ["problem_framing", "data_intuition", "modeling_judgment", "feature_engineering", "training_at_scale",
        "serving_latency", "feedback_loops", "overall"]
TEXTS = {
    1: "Notes: we store photos.",
    2: "## Data\nWe log clicks and label a click after 30 s of watch time as positive.\n## Model\nA two-tower "
       "retrieval model then a ranker.",
    3: "## Clarify\nGoal: watch time, 200 ms budget.\n## Data\nLabels from watch time over 7 days, negatives "
       "sampled from impressions.\n## Model\nTwo-tower retrieval with an ANN index, then a GBDT ranker.\n"
       "## Serving\nCache embeddings; p99 under 200 ms at 10k QPS.\n## Monitoring\nA/B test, drift alerts and "
       "retraining every day.",
}


def _corpus(root):
    (root / "answers").mkdir(parents=True)
    sources, grades = [], []
    for i in range(12):
        level = 1 + i % 3
        name = f"{i:03d}_q01_author{i // 3}-notes.md"
        (root / "answers" / name).write_text(f"# Video recommendation {i}\n\n{TEXTS[level]}\n", encoding="utf-8")
        sources.append({"file": name, "question_id": "q01", "repo": f"author{i // 3}/notes", "language": "en"})
        grades.append((name, level + (1 if level == 3 else 0)))
    with (root / "SOURCES.tsv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, ["file", "question_id", "repo", "language"], delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(sources)
    for rater, shift in (("a", 0), ("b", 1)):
        with (root / f"grades_rater_{rater}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["file", *DIMS, "note"])
            for k, (name, g) in enumerate(grades):
                w.writerow([name, *[min(4, g + (shift and k % 2)) for _ in DIMS], "synthetic"])


def test_real_benchmark_runs_grouped_cv_and_writes_ratings_and_a_textless_calibration(tmp_path):
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "real.py"), "--corpus", str(corpus),
                          "--backend", "hashing", "--ratings", str(tmp_path / "ratings.csv"),
                          "--write-calibration", str(tmp_path / "cal.json")],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "12 files (12 English-only)" in out.stdout and "(4 repositories)" in out.stdout
    overall = next(line for line in out.stdout.splitlines() if line.startswith("| overall |"))
    assert len(overall.split("|")) == 9  # dimension + six Spearman columns
    assert "question detection: " in out.stdout
    rows = list(csv.DictReader((tmp_path / "ratings.csv").open(encoding="utf-8")))
    assert {r["rater"] for r in rows} == {"rater_a", "rater_b", "grader"}
    assert len(rows) == 12 * len(DIMS) * 3 and all(1 <= float(r["grade"]) <= 4 for r in rows)
    cal = json.loads((tmp_path / "cal.json").read_text(encoding="utf-8"))
    assert cal["neighbours"]["texts"] == [] and "two-tower" not in json.dumps(cal).lower()
    assert cal["config"]["features"][0] == "raw_{dimension}"


def test_real_benchmark_without_a_corpus_says_so(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "real.py"), "--corpus", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 2 and "no corpus at" in out.stderr and "Traceback" not in out.stderr

"""Validity benchmark: calibration against human grades on the public datasets (and our own answer folder).

For every dataset: out-of-fold agreement with 10 folds and seed 0, unseen answers (`--group-by none`) and
unseen questions (`--group-by question`), through the same code as `grader calibrate`; the TF-IDF baseline
(the datasets' own `baseline_tfidf.py`) beside it; where the data has official splits, training on `train`
and scoring each test split (accuracy and weighted F1 for binary scales); where answers carry a categorical
`label` with three or more classes (Beetle 5-way, SAF 3-way), the same features predict the label (one model
per class, one-vs-rest, the most probable class wins) on the official splits.

One configuration for every dataset (`CalibrationConfig()` defaults): nothing here depends on the dataset.

    python benchmarks/validity.py [--datasets ../shared/datasets] [--out benchmarks/results/validity.json]

Prints a Markdown table per measure (as pasted into benchmarks/VALIDITY.md) and writes every figure as JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.api import calibrate  # noqa: E402
from grader.calibration.fit import fit_dimension, needed_variants, predict_rows  # noqa: E402
from grader.config import Settings  # noqa: E402
from grader.inputs.datasets import read_dataset  # noqa: E402
from grader.models import CalibrationConfig, round4  # noqa: E402

PUBLIC = ("saf_en", "semeval2013_beetle", "semeval2013_scientsbank", "powergrading", "asap_sas")
TARGETS = {  # issue 12: unseen answers, unseen questions (Pearson r unless noted)
    "saf_en": ("r ≥ 0.88, RMSE ≤ 0.19", "r ≥ 0.72"),
    "semeval2013_beetle": ("r ≥ 0.75", "r ≥ 0.50"),
    "semeval2013_scientsbank": ("r ≥ 0.72", "r ≥ 0.45"),
    "powergrading": ("r ≥ 0.95", "r ≥ 0.50"),
    "asap_sas": ("QWK ≥ 0.75", "–"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "validity.json"))
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--only", nargs="*", help="dataset names to run (default: all)")
    ap.add_argument("--render", action="store_true", help="only print the tables of an existing --out file")
    ap.add_argument("--backend", default=None, help="embedding backend (default: grade's default)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    if args.render:
        print(markdown(json.loads(Path(args.out).read_text())))
        return 0

    from grader.embedding.backends import DEFAULT_BACKEND
    from grader.run.toolkit import make_toolkit

    settings = Settings.from_env()
    tools = make_toolkit(args.backend or DEFAULT_BACKEND, settings, args.cache_dir or settings.cache_root)
    folders = [Path(args.datasets) / n for n in PUBLIC] + [ROOT / "datasets" / "mlsd_examples"]
    results = {}
    for folder in folders:
        if args.only and folder.name not in args.only:
            continue
        if not folder.is_dir():
            print(f"skipped {folder}: not found", file=sys.stderr)
            continue
        t0 = time.time()
        dataset = read_dataset(folder)
        res = {"baseline": _baseline(folder)}
        for scheme in ("none", "question"):
            run = calibrate(dataset, tools=tools, folds=10, seed=0, group_by=scheme, bootstrap=args.bootstrap)
            res[scheme] = run.summary.model_dump(mode="json")
        res["labels"] = _labels(dataset, tools)
        res["seconds"] = round(time.time() - t0, 1)
        results[folder.name] = res
        print(f"{folder.name}: {res['seconds']} s", file=sys.stderr, flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(markdown(results))
    return 0


def _baseline(folder: Path) -> dict:
    script = folder.parent / "baseline_tfidf.py"
    if not script.is_file() or not (folder / "questions.csv").is_file():
        return {}
    done = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _labels(dataset, tools) -> dict:
    """Categorical labels (>= 3 classes) on the official splits, with the calibration's features."""
    labels = [a.label for a in dataset.answers]
    classes = sorted({x for x in labels if x})
    splits = np.asarray([a.split or "" for a in dataset.answers])
    if len(classes) < 3 or not (splits == "train").any():
        return {}
    from grader.calibration.run import featurize_dataset
    from sklearn.metrics import accuracy_score, f1_score
    from threadpoolctl import threadpool_limits

    cfg = CalibrationConfig()
    table, _, _ = featurize_dataset(dataset, None, tools, cfg)
    for c in classes:
        table.grades[f"label={c}"] = np.array([1.0 if x == c else 0.0 for x in labels])
    train = np.flatnonzero(splits == "train")
    out = {"classes": classes}
    tests = {s: np.flatnonzero(splits == s) for s in sorted(set(splits) - {"train", ""})}
    probs = {s: np.zeros((len(r), len(classes))) for s, r in tests.items()}
    with threadpool_limits(limits=1):
        for k, c in enumerate(classes):
            dim = f"label={c}"
            needed = set().union(*(needed_variants(table, dim, train, r, cfg) for r in tests.values()))
            model = fit_dimension(table, dim, train, cfg, 0, False, needed)
            for s, r in tests.items():
                probs[s][:, k] = predict_rows(model, table, train, r, cfg)[0]
    truth = np.asarray(labels)
    for s, r in tests.items():
        pred = np.asarray(classes)[probs[s].argmax(axis=1)]
        out[s] = {"n": len(r), "accuracy": round4(accuracy_score(truth[r], pred)),
                  "macro_f1": round4(f1_score(truth[r], pred, average="macro", zero_division=0.0)),
                  "weighted_f1": round4(f1_score(truth[r], pred, average="weighted", zero_division=0.0))}
    return out


def _m(summary: dict, metric: str, dim: str | None = None):
    """A metric and its interval from a calibration summary as written (`CalibrationSummary` as JSON)."""
    dims = summary["dimensions"]
    d = dims[dim or next(iter(dims))]
    return d["metrics"].get(metric), d.get("intervals", {}).get(metric)


def _f(v, ci=None) -> str:
    if v is None:
        return "–"
    s = f"{v:.3f}"
    if ci and None not in ci:
        s += f" ({ci[0]:.2f}–{ci[1]:.2f})"
    return s


def markdown(results: dict) -> str:
    lines = ["### Pearson r, RMSE and QWK, out of fold (10 folds, seed 0); TF-IDF baseline r in brackets", "",
             "| dataset | unseen answers r | RMSE | QWK | unseen questions r | RMSE | QWK | target (answers / questions) |",
             "|---|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        if name == "mlsd_examples":
            continue
        base = res["baseline"].get("cv", {})
        cells = []
        for scheme, bkey in (("none", "unseen_answers"), ("question", "unseen_questions")):
            s = res[scheme]
            if set(next(iter(s["dimensions"].values()))["by_variant"]) <= {"prior"}:
                cells += ["n/a: no features (no reference answers, no graded neighbours)", "", ""]
                continue
            r, rci = _m(s, "pearson")
            rmse, _ = _m(s, "rmse")
            qwk, _ = _m(s, "qwk")
            b = base.get(bkey, {}).get("pearson_r")
            cells += [_f(r, rci) + (f" [{b:.3f}]" if b is not None else ""), _f(rmse), _f(qwk)]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {' / '.join(TARGETS.get(name, ('', '')))} |")
    lines += ["", "### QWK per question (averaged) and pooled, where the scale is ordinal or binary", "",
              "| dataset | scheme | QWK pooled | QWK per question | exact | adjacent | PRMSE |", "|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        for scheme in ("none", "question"):
            s = res[scheme]
            if s["scale"]["type"] == "continuous" and name != "powergrading":
                continue
            if set(next(iter(s["dimensions"].values()))["by_variant"]) <= {"prior"}:
                continue
            dim = "overall" if "overall" in s["dimensions"] else None
            prmse = s["dimensions"][dim or next(iter(s["dimensions"]))].get("raters", {}).get(
                "raters", {}).get("grader", {}).get("metrics", {}).get("prmse")
            lines.append(f"| {name} | {'unseen answers' if scheme == 'none' else 'unseen questions'} | "
                         f"{_f(_m(s, 'qwk', dim)[0])} | {_f(_m(s, 'qwk_by_question', dim)[0])} | "
                         f"{_f(_m(s, 'exact', dim)[0])} | {_f(_m(s, 'adjacent', dim)[0])} | {_f(prmse)} |")
    lines += ["", "### Official test splits (trained on `train`), 2-way: accuracy / weighted F1 "
              "(TF-IDF baseline in brackets)", "",
              "| dataset | split | n | r | accuracy | weighted F1 | majority class |", "|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        d = next(iter(res["none"]["dimensions"].values()))
        base = res["baseline"].get("official_split_2way", {})
        for split, m in d.get("official_splits", {}).items():
            b = base.get(split, {})
            bacc = f" [{b['accuracy']:.3f}]" if b else ""
            bf1 = f" [{b['weighted_f1']:.3f}]" if b else ""
            lines.append(f"| {name} | {split} | {int(m['n'])} | {_f(m.get('pearson'))} | "
                         f"{_f(m.get('accuracy'))}{bacc} | {_f(m.get('weighted_f1'))}{bf1} | "
                         f"{_f(m.get('majority_accuracy'))} |")
    lines += ["", "### Categorical labels on the official splits (one-vs-rest, most probable class)", "",
              "| dataset | classes | split | n | accuracy | macro F1 | weighted F1 |", "|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        lab = res.get("labels") or {}
        for split, m in lab.items():
            if split == "classes":
                continue
            lines.append(f"| {name} | {len(lab['classes'])} | {split} | {m['n']} | {_f(m['accuracy'])} | "
                         f"{_f(m['macro_f1'])} | {_f(m['weighted_f1'])} |")
    if "mlsd_examples" in results:
        res = results["mlsd_examples"]
        lines += ["", "### ML system design answers (datasets/mlsd_examples: 36 answers, 6 questions, one rater, 1-4)",
                  "", "| dimension | unseen answers QWK | r | unseen questions QWK | r |", "|---|---|---|---|---|"]
        for dim in res["none"]["dimensions"]:
            lines.append(f"| {dim} | {_f(_m(res['none'], 'qwk', dim)[0])} | {_f(_m(res['none'], 'pearson', dim)[0])} | "
                         f"{_f(_m(res['question'], 'qwk', dim)[0])} | {_f(_m(res['question'], 'pearson', dim)[0])} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

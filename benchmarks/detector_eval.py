"""Per-detector precision / recall on the labelled sentence set, and overall (micro) F1.

    .venv/bin/python benchmarks/detector_eval.py [--data tests/data/detector_sentences.yaml] [--errors]

Each detector is scored on its own sentences: a `pos` sentence counts as found when the detector has a
substantive, non-negated mention in it; a `neg` sentence (negated, other sense, bare list item, neighbouring
concept) counts as a false positive when it has one. Exit 1 when a detector id is not in the rubric.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.inputs.rubric import load_rubric  # noqa: E402
from grader.run.toolkit import load_sentencizer  # noqa: E402
from grader.pipeline.substance import standalone_hits  # noqa: E402


def evaluate(data: dict, rubric, nlp) -> dict[str, dict[str, object]]:
    """detector -> {tp, fp, fn, tn, misses, false_alarms}."""
    known = {d.id for d in rubric.detectors}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SystemExit(f"unknown detector id(s) in the labelled set: {', '.join(unknown)}")
    rows = [(det, label, text) for det, sets in data.items() for label in ("pos", "neg")
            for text in sets.get(label, [])]
    found = standalone_hits([t for _, _, t in rows], rubric, nlp)
    out: dict[str, dict[str, object]] = {d: {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "errors": []} for d in data}
    for (det, label, text), hits in zip(rows, found):
        hit = det in hits
        key = {("pos", True): "tp", ("pos", False): "fn", ("neg", True): "fp", ("neg", False): "tn"}[(label, hit)]
        out[det][key] += 1
        if key in ("fn", "fp"):
            out[det]["errors"].append(f"{key}: {text}")
    return out


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT / "tests" / "data" / "detector_sentences.yaml"))
    ap.add_argument("--rubric", default=str(ROOT / "grader" / "resources" / "rubrics" / "ml_system_design.yaml"))
    ap.add_argument("--errors", action="store_true", help="print every false positive and negative")
    args = ap.parse_args()
    data = yaml.safe_load(Path(args.data).read_text())
    res = evaluate(data, load_rubric(args.rubric), load_sentencizer())
    print(f"| detector | pos | neg | precision | recall | F1 |\n|---|---:|---:|---:|---:|---:|")
    tot = {"tp": 0, "fp": 0, "fn": 0}
    for det, r in res.items():
        p, rc, f = f1(r["tp"], r["fp"], r["fn"])
        print(f"| {det} | {r['tp'] + r['fn']} | {r['fp'] + r['tn']} | {p:.2f} | {rc:.2f} | {f:.2f} |")
        for k in tot:
            tot[k] += r[k]
    p, rc, f = f1(tot["tp"], tot["fp"], tot["fn"])
    print(f"\noverall (micro): precision {p:.3f}, recall {rc:.3f}, F1 {f:.3f} over {len(res)} detectors")
    if args.errors:
        for det, r in res.items():
            for e in r["errors"]:
                print(f"{det}: {e}")


if __name__ == "__main__":
    main()

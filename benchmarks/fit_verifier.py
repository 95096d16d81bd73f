"""Fit the concept verifier (grader/pipeline/verify.py) and measure it by cross-validation grouped by source
repository, so that an author's files never sit on both sides of a split.

    .venv/bin/python benchmarks/fit_verifier.py [--corpus ../shared/real_answers] [--write]

Training rows: every judged hit of benchmarks/data/detectors_real/hits.csv (LLM rater passes on the public
write-ups, read in place), with the features the grader computes for that (sentence, concept) candidate, label
= the verdict (1 / 0.5 / 0, as a soft label), plus our own labelled sentences (tests/data/detector_sentences.yaml:
a detector's mention in a `pos` sentence is right, in a `neg` one wrong), which sit in every training fold.
Prints the cross-validated precision (mean verdict of the judged hits the verifier keeps) and the recall on the
recall files at several thresholds, then the weights fitted on everything; `--write` puts them into the rubric.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.linear_model import LogisticRegression  # noqa: E402

from grader.config import Settings  # noqa: E402
from grader.embedding.cache import embed_texts  # noqa: E402
from grader.errors import GraderError  # noqa: E402
from grader.inputs.answers import read_answer  # noqa: E402
from grader.inputs.rubric import default_rubric_path, load_rubric  # noqa: E402
from grader.models import VERIFIER_FEATURES, VerifierConfig  # noqa: E402
from grader.pipeline.detect import compile_detectors, find_mentions, lemma_sentences  # noqa: E402
from grader.pipeline.grade import batch_lemmas, context_concepts, decide_stages, parse_and_embed  # noqa: E402
from grader.pipeline.substance import assess_sentences, standalone_hits  # noqa: E402
from grader.pipeline.verify import answer_candidates, candidate_features, spec_texts  # noqa: E402
from grader.run.toolkit import make_toolkit  # noqa: E402
from detectors_real import read_csv  # noqa: E402  (the judged data of benchmarks/data/detectors_real)

RUBRIC = default_rubric_path()


def real_rows(corpus: Path, rubric, tools) -> list[dict]:
    """Features of every judged hit (file, concept, start/end) from the grader's own candidates."""
    judged = defaultdict(list)
    for r in read_csv("hits.csv"):
        judged[r["file"]].append(r)
    repos = {r["file"]: r["repo"] for r in csv.DictReader((corpus / "SOURCES.tsv").open(encoding="utf-8"),
                                                          delimiter="\t")}
    answers = []
    for name in sorted(judged):
        try:
            answers.append(read_answer(corpus / "answers" / name, max_bytes=10**7))
        except GraderError as exc:
            print(f"skipped {name}: {exc}", file=sys.stderr)
    sectioned, table = parse_and_embed(answers, rubric, tools)
    lemmas = batch_lemmas(sectioned, tools.nlp)
    detectors = compile_detectors(rubric, tools.nlp)
    rows = []
    for sa, lem in zip(sectioned, lemmas):
        name = Path(sa.answer.path).name
        sa, _, _ = decide_stages(sa, rubric, table)
        mentions = [find_mentions(s, detectors) for s in lem.sentences]
        quality, _ = assess_sentences(sa, lem.sentences, mentions, table, rubric)
        cands = answer_candidates(sa, mentions, context_concepts(lem, detectors), [q.weak for q in quality],
                                  rubric, table)
        for r in judged[name]:
            s, e = int(r["start"]), int(r["end"])
            match = [c for c in cands if c[1] == r["concept"] and sa.sentences[c[0]].start < e
                     and s < sa.sentences[c[0]].end]
            if match:
                rows.append({"group": repos[name], "file": name, "concept": r["concept"], "start": s,
                             "verdict": float(r["verdict"]), "features": match[0][3]})
    return rows


def own_rows(path: Path, rubric, tools) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [(det, label, text) for det, sets in data.items() for label in ("pos", "neg") for text in sets.get(label, [])]
    texts = [t for _, _, t in items]
    found = standalone_hits(texts, rubric, tools.nlp)
    specs = {d.id: d for d in rubric.detectors}
    table = embed_texts(texts + [t for d in rubric.detectors for t in spec_texts(d)], tools.embedder, None)
    lem = lemma_sentences(texts, tools.nlp)
    detectors = compile_detectors(rubric, tools.nlp)
    rows = []
    for (det, label, text), hits, ls in zip(items, found, lem):
        ms = [m for m in find_mentions(ls, detectors) if m.detector == det and not m.negated]
        if det not in hits or not ms:
            continue
        sims = table.matrix(list(spec_texts(specs[det]))) @ table.matrix([text])[0]
        feats = candidate_features(tuple(float(x) for x in sims), 0.0, direct=True,
                                   long_span=any(m.end - m.start > 4 for m in ms), role="prose", weak=False,
                                   home=True, words=len(text.split()))
        rows.append({"group": "own", "file": "", "concept": det, "start": 0, "verdict": float(label == "pos"),
                     "features": feats})
    return rows


def design(rows: list[dict], concepts: list[str]) -> np.ndarray:
    x = np.array([[r["features"][f] for f in VERIFIER_FEATURES] for r in rows], dtype=float)
    if concepts:
        onehot = np.array([[float(r["concept"] == c) for c in concepts] for r in rows])
        x = np.hstack([x, onehot])
    return x


def fit(rows: list[dict], concepts: list[str], c: float) -> LogisticRegression:
    x = design(rows, concepts)
    v = np.array([r["verdict"] for r in rows])
    # a soft label as two weighted rows: (y=1, weight v) and (y=0, weight 1 - v)
    xx = np.vstack([x, x])
    yy = np.concatenate([np.ones(len(v)), np.zeros(len(v))])
    ww = np.concatenate([v, 1 - v])
    keep = ww > 0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(xx[keep], yy[keep], sample_weight=ww[keep])
    return model


def cross_validate(real: list[dict], own: list[dict], concepts: list[str], c: float) -> np.ndarray:
    p = np.zeros(len(real))
    groups = sorted({r["group"] for r in real})
    for g in groups:
        test = [i for i, r in enumerate(real) if r["group"] == g]
        train = [r for r in real if r["group"] != g] + own
        model = fit(train, concepts, c)
        p[test] = model.predict_proba(design([real[i] for i in test], concepts))[:, 1]
    return p


def figures(real: list[dict], p: np.ndarray, t: float, expressed: set[tuple[str, str]]
            ) -> tuple[float, int, float, int]:
    """As the grader reports: per (file, concept), the judged candidate with the highest probability, if it
    reaches `t`. (precision of those, how many, recall on the recall files, concepts expressed there.)"""
    chosen: dict[tuple[str, str], tuple[float, float]] = {}
    for r, q in zip(real, p):
        k = (r["file"], r["concept"])
        if q >= t and (k not in chosen or q > chosen[k][0]):
            chosen[k] = (q, r["verdict"])
    prec = float(np.mean([v for _, v in chosen.values()])) if chosen else float("nan")
    good = {k for k, (_, v) in chosen.items() if v >= 0.5}
    return prec, len(chosen), len(expressed & good) / len(expressed), len(expressed)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "real_answers"))
    ap.add_argument("--own", default=str(ROOT / "tests" / "data" / "detector_sentences.yaml"))
    ap.add_argument("--c", type=float, default=1.0)
    ap.add_argument("--per-concept", action="store_true", help="add a bias per concept")
    ap.add_argument("--threshold", type=float, default=None, help="default: the best CV F1 (precision x recall)")
    ap.add_argument("--write", action="store_true", help="write the fitted verifier into the rubric")
    args = ap.parse_args()
    base = load_rubric(RUBRIC)
    # a neutral verifier (keeps everything) so that the spec texts and headings are embedded with the batch
    neutral = VerifierConfig(threshold=0.0, intercept=0.0, weights={})
    rubric = base.model_copy(update={"detection": base.detection.model_copy(update={"verifier": neutral})})
    tools = make_toolkit("torch", Settings.from_env(), None, False)
    real = real_rows(Path(args.corpus), rubric, tools)
    own = own_rows(Path(args.own), rubric, tools)
    concepts = sorted({r["concept"] for r in real}) if args.per_concept else []
    print(f"{len(real)} judged real candidates from {len({r['group'] for r in real})} repositories; "
          f"{len(own)} own sentences (always in training)")
    spec_fit = np.array([r["features"]["sim_spec"] + r["features"]["sim_pos"] for r in real])
    expressed = {(r["file"], r["concept"]) for r in read_csv("recall.csv")}
    prec, kept, rec, n = figures(real, spec_fit, -1.0, expressed)
    print(f"without a verifier, the candidate most like the spec: precision {prec:.3f} over {kept}, recall {rec:.3f}")
    p = cross_validate(real, own, concepts, args.c)
    print("\ncross-validated, grouped by repository (the development set: these are CV figures, not held-out)")
    print("| threshold | precision | kept | recall (evidence >= 0.5) |\n|---:|---:|---:|---:|")
    best = None
    for t in [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]:
        prec, kept, rec, n = figures(real, p, t, expressed)
        print(f"| {t:.1f} | {prec:.3f} | {kept} | {rec:.3f} of {n} |")
        score = prec * rec
        if best is None or score > best[0]:
            best = (score, t)
    t = args.threshold if args.threshold is not None else best[1]
    model = fit(real + own, concepts, args.c)
    coef = model.coef_[0]
    weights = {f: round(float(w), 4) for f, w in zip(VERIFIER_FEATURES, coef)}
    bias = {c: round(float(w), 4) for c, w in zip(concepts, coef[len(VERIFIER_FEATURES):])}
    block = {"threshold": t, "intercept": round(float(model.intercept_[0]), 4), "weights": weights}
    if bias:
        block["concept_bias"] = bias
    block["fitted_on"] = (f"{len(real)} judged candidates on the development write-ups + {len(own)} own sentences; "
                          f"embedding model all-MiniLM-L6-v2; benchmarks/fit_verifier.py")
    text = yaml.safe_dump({"verifier": block}, sort_keys=False, width=110, allow_unicode=True)
    print("\n" + text)
    if args.write:
        path = Path(RUBRIC)
        src = path.read_text(encoding="utf-8")
        indented = "".join("  " + line + "\n" for line in text.splitlines())
        src, n = re.subn(r"(?ms)^  verifier:\n(?:    .*\n|\s*\n)*", "", src)
        src = src.replace("\n  negation:\n", "\n" + indented + "  negation:\n", 1)
        path.write_text(src, encoding="utf-8")
        print(f"written into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

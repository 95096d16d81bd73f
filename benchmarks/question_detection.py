"""How well the question is detected when neither --question nor front matter names it.

    .venv/bin/python benchmarks/question_detection.py [--cache-dir DIR]

Every answer we have (golden answers, demo answers, the graded examples, the labelled section set) is graded
with its front matter ignored. Prints top-1 accuracy, the smallest margins, how many known answers fall under
the rubric's `question_detection` thresholds (and would be graded with the generic rubric), and, leaving each
answer's own question out of the rubric, how many answers to a foreign question stay above them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import section_accuracy as bench  # noqa: E402  (puts this checkout's grader first on sys.path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rubric", default=str(bench.ROOT / "grader" / "resources" / "rubrics" / "ml_system_design.yaml"))
    ap.add_argument("--cache-dir", default=None)
    args = ap.parse_args(argv)
    from grader.pipeline.grade import parse_and_embed
    from grader.pipeline.question import choose_question
    from grader.inputs.rubric import load_rubric

    rubric = load_rubric(args.rubric)
    tools = bench.toolkit("torch", args.cache_dir)
    files, answers, _ = bench.dev_answers()
    truth = [f.stem if f.parent.name == "golden_answers" else a.question_id for f, a in zip(files, answers)]
    labelled = bench.load_set(bench.ROOT / "tests" / "data" / "sections")
    files += [i.path for i in labelled]
    answers += [bench._read(i.path) for i in labelled]
    truth += [i.question or i.path.name.split("_")[1] for i in labelled]
    answers = [a.model_copy(update={"front_matter": {}, "question_id": None}) for a in answers]
    sectioned, table = parse_and_embed(answers, rubric, tools)
    cfg = rubric.question_detection
    rows, foreign = [], 0
    for f, sa, t in zip(files, sectioned, truth):
        choice = choose_question(sa, rubric, table)
        rows.append((choice.margin, f.name, t, choice.guess or choice.question_id, choice.source,
                     choice.similarity))
        others = rubric.model_copy(update={"questions": [q for q in rubric.questions if q.id != t]})
        foreign += choose_question(sa, others, table).source in ("detected", "title")
    right = sum(r[2] == r[3] for r in rows)
    unknown = [r[1] for r in rows if r[4] == "unknown"]
    print(f"answers: {len(rows)}; top-1 (front matter ignored): {right}/{len(rows)}")
    print(f"thresholds: similarity >= {cfg.min_similarity}, margin >= {cfg.min_margin}")
    print(f"known answers graded as unknown: {len(unknown)}/{len(rows)} {unknown}")
    print(f"own question left out, still taken as a rubric question: {foreign}/{len(rows)}")
    sims = np.array([r[5] for r in rows])
    print(f"best similarity min/median: {sims.min():.3f}/{np.median(sims):.3f}")
    print("smallest margins:")
    for m, name, t, g, src, s in sorted(rows)[:5]:
        print(f"  {m:.3f}  {name:<32} true {t}  chose {g} ({src}, similarity {s:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

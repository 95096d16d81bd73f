"""Language naming on the public write-ups of ../shared/real_answers (read in place, never copied): for every
file, the language SOURCES.tsv gives, the language and English share the grader reports, and whether it
raises the not_english flag. Prints one line per file and the agreement counts.

    .venv/bin/python benchmarks/language_eval.py [--corpus ../shared/real_answers]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.inputs.rubric import default_rubric_path, load_rubric  # noqa: E402
from grader.pipeline.language import identify  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "real_answers"))
    args = ap.parse_args()
    corpus = Path(args.corpus)
    cfg = load_rubric(default_rubric_path()).language
    sources = {r["file"]: r for r in csv.DictReader((corpus / "SOURCES.tsv").open(encoding="utf-8"), delimiter="\t")}
    named = flagged_right = total = 0
    for path in sorted((corpus / "answers").iterdir()):
        label = sources[path.name]["language"]
        expected = label.split(" ")[0]  # "en", "zh", "ru", "en+zh"
        lang, share = identify(path.read_text(encoding="utf-8", errors="replace"), cfg)
        flag = share < cfg.min_english_share
        total += 1
        named += lang in expected.split("+")
        flagged_right += flag == (expected != "en")
        print(f"{path.name[:52]:52s} {label[:24]:24s} -> {lang} {share:.2f}{'  not_english' if flag else ''}")
    print(f"\n{total} files: language named in the label {named}/{total}; not_english flag on exactly the files "
          f"labelled other than plain English {flagged_right}/{total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

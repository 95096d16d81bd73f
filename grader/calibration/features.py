"""Calibration features: what the calibration models see of an answer.

Features (all from the grading pipeline's own assessment of the answer: the same stages, weights, detectors
and deductions as its report):

- *reference* features, for answers to a question with key points (a rubric question, or a short-answer
  question with a reference answer): the raw overall and dimension scores; similarity of the answer's
  sentences to the key points (best, mean of each point's best, mean of each sentence's best, coverage at the
  configured thresholds); similarity of the whole answer (mean sentence vector) to the reference and to the
  question; lexical overlap of content words with the reference (recall, precision) and with the question;
  length (log words, and log ratio to the reference).
- *evidence* features, which do not depend on one design's key points (what carries over to real write-ups,
  issue 20): the credit of every concept the detectors found (`concepts_total`) and of those feeding each
  dimension (`concepts_<dimension>`, credit x the detector's feed weight),
  specificity (`log_numbers`: figures with or without a unit, "200 ms", "10k QPS", "7 days") and the English
  share of the text (`english_share`: the model and detectors read English only, so a low share says the
  other features saw little, not that the answer said little).
- *neighbour* features, for answers to a question that already has graded answers (k-NN over the graded
  answers of the same question): similarity-weighted grade of the k nearest, grade and similarity of the
  nearest, the question's mean grade, the best similarity to a high-graded and to a low-graded answer, and
  the number of graded answers.

Missing features are never imputed: one model is fitted per *variant* of available features
(`reference+neighbours`, `reference`, `neighbours`, `prior`) and each answer is predicted by the richest
variant its features allow. Grades are modelled on the 0..1 scale (`(grade - min) / (max - min)`).

Each variant's model is chosen among the configured candidates (isotonic regression on the raw score, ridge,
logistic for ordinal/binary scales, gradient boosting) by an inner cross-validation on the training rows only,
so out-of-fold predictions never see their own fold. Fitted models are plain numbers in JSON (no pickle) and
are predicted here with numpy alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence

import numpy as np

from grader.embedding.cache import EmbeddingTable
from grader.models import CalibrationConfig, DetectorHit, Question, Rubric, SectionedAnswer, StageCoverage


FEATURE_VERSION = "4"  # 2: coverage and raw scores from the grading pipeline itself (issue 17); 3: evidence;
# 4: soft stage membership (issue 21)
NEIGHBOUR_FEATURES = ("knn_mean", "knn_top1", "knn_sim1", "knn_prior", "knn_sim_high", "knn_sim_low",
                      "krr_embed", "lex_knn_mean", "lex_knn_top1", "lex_knn_sim1", "krr_lex", "krr_both")
_KNN = 6  # the first six come from `neighbour_features`
_TOKEN = re.compile(r"[a-z0-9]+")
_STEM = 5  # content words are compared on their first five letters (a crude stemmer: evaporate/evaporated)
_NEGATIONS = frozenset({"no", "not", "never", "none", "nothing", "nor", "cannot", "without"})
_LEXICAL = frozenset({"lex_char_reference", "lex_char_max"})  # the features that need scikit-learn
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?:\s?(?:%|ms|s|k|m|b|x|qps|gb|tb|days?|hours?|minutes?|weeks?))?(?!\w)",
                     re.IGNORECASE)
_LIST_MARK = re.compile(r"^[ \t]*(?:#+[ \t]*)?\d+(?:\.\d+)*[.)]?[ \t]", re.MULTILINE)  # "1. ", "## 2.3 ": not figures


# ------------------------------------------------------------------------------------------------ features


def answer_vector(answer: SectionedAnswer, table: EmbeddingTable) -> np.ndarray:
    """The answer as one unit vector: the normalised mean of its sentence vectors (zero when it has none)."""
    return _unit(table.matrix([s.text for s in answer.sentences]).mean(axis=0)) if answer.sentences else \
        np.zeros(table.dim, dtype=np.float32)


def answer_features(answer: SectionedAnswer, question: Question, coverage: Sequence[StageCoverage],
                    dims: dict[str, float], overall: float, hits: Sequence[DetectorHit], english_share: float,
                    rubric: Rubric, table: EmbeddingTable, cfg: CalibrationConfig,
                    needed: Collection[str] | None = None) -> dict[str, float]:
    """Reference and evidence features of one answer (see the module docstring), in a fixed order, from what
    the grading pipeline decided about it (`grader.pipeline.grade.assess`): its coverage, concept hits and raw
    scores, the very numbers its report shows. `needed`: the features a loaded calibration reads; the lexical
    n-gram ones (scikit-learn: ~1.5 s to import) are computed only when it reads them (None: all)."""
    points = [kp.text for _, kp in question.all_key_points()]
    sents = [s.text for s in answer.sentences]
    sims = table.matrix(points) @ table.matrix(sents).T
    best_point = sims.max(axis=1) if sents else np.zeros(len(points))
    f: dict[str, float] = {"raw_overall": overall}
    if len(dims) > 1:
        f |= {f"raw_{d}": v for d, v in dims.items()}
    if len(rubric.stages) > 1:
        f |= {f"cov_{c.stage}": c.coverage for c in coverage}
    f["sim_max"] = float(best_point.max()) if len(best_point) else 0.0
    f["sim_mean"] = float(best_point.mean()) if len(best_point) else 0.0
    f["sim_precision"] = float(sims.max(axis=0).mean()) if sents and points else 0.0
    for t in cfg.thresholds:
        f[f"cover_{t:g}"] = float((best_point >= t).mean()) if len(best_point) else 0.0
    vec = answer_vector(answer, table)
    f["doc_sim"] = float(vec @ _unit(table.matrix(points).mean(axis=0))) if points else 0.0
    f["question_sim"] = float(vec @ table.matrix([question.prompt])[0]) if question.prompt.strip() else 0.0
    if needed is None or not set(needed).isdisjoint(_LEXICAL):
        lex = lexical_vectors([answer.answer.text, " ".join(points), *points], cfg)
        lex_sims = (lex[0] @ lex[1:].T).toarray()[0] if points else np.zeros(1)
        f["lex_char_reference"] = float(lex_sims[0])
        f["lex_char_max"] = float(lex_sims[1:].max()) if points else 0.0
    best = points[int(np.argmax(sims.max(axis=1)))] if sents and points else ""
    f["negation_mismatch"] = float(_negated(answer.answer.text) != _negated(best)) if best else 0.0
    words = _content(answer.answer.text)
    ref = _content(" ".join(points))
    asked = _content(question.prompt)
    f["lex_recall"] = len(words & ref) / len(ref) if ref else 0.0
    f["lex_precision"] = len(words & ref) / len(words) if words else 0.0
    f["lex_question"] = len(words & asked) / len(words) if words else 0.0
    recalls = [len(words & kp) / len(kp) for kp in map(_content, points) if kp]
    f["lex_recall_best"] = max(recalls, default=0.0)
    novel_ref, novel_words = ref - asked, words - asked  # "question demoting": words the question gives away
    f["lex_recall_novel"] = len(novel_words & novel_ref) / len(novel_ref) if novel_ref else 0.0
    f["lex_precision_novel"] = len(novel_words & novel_ref) / len(novel_words) if novel_words else 0.0
    n_words = len(answer.answer.text.split())
    f["log_words"] = math.log1p(n_words)
    f["length_ratio"] = math.log1p(n_words) - math.log1p(sum(len(p.split()) for p in points))
    f |= evidence_features(hits, rubric, answer.answer.text, english_share)
    return {k: float(v) for k, v in f.items()}


def evidence_features(hits: Sequence[DetectorHit], rubric: Rubric, text: str, english_share: float,
                      ) -> dict[str, float]:
    """Evidence that does not depend on one design's key points (module docstring): concept credit in total and
    per dimension (credit x feed weight), figures quoted, English share."""
    feeds = {d.id: d.feeds for d in rubric.detectors}
    found = [h for h in hits if h.hit]
    total = sum(h.credit for h in found)
    f = {"concepts_total": total}
    for d in rubric.dimensions:
        f[f"concepts_{d.id}"] = sum(h.credit * feeds.get(h.id, {}).get(d.id, 0.0) for h in found)
    f["log_numbers"] = math.log1p(len(_NUMBER.findall(_LIST_MARK.sub(" ", text))))
    f["english_share"] = english_share
    return f


def neighbour_features(sims: np.ndarray, grades: np.ndarray, cfg: CalibrationConfig) -> np.ndarray:
    """k-NN features (the first `_KNN` of `NEIGHBOUR_FEATURES`) of m answers against n graded answers of the same
    question: `sims` is m x n (-inf marks an excluded pair, e.g. an answer and itself), `grades` on 0..1."""
    m, n = sims.shape
    valid = np.isfinite(sims)
    counts = valid.sum(axis=1)
    k = min(cfg.neighbours_k, n)
    order = np.argsort(-np.where(valid, sims, -np.inf), axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(sims, order, axis=1)
    g = grades[order]
    ok = np.isfinite(top)
    w = np.where(ok, np.exp((np.where(ok, top, 0.0) - np.where(ok[:, :1], top[:, :1], 0.0))
                            / cfg.neighbour_temperature), 0.0)
    out = np.zeros((m, _KNN))
    out[:, 0] = (w * g).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)
    out[:, 1] = g[:, 0]
    out[:, 2] = np.where(ok[:, 0], top[:, 0], 0.0)
    total = np.where(valid, grades[None, :], 0.0).sum(axis=1)
    out[:, 3] = total / np.maximum(counts, 1)
    high = grades >= 0.5
    for col, mask in ((4, high), (5, ~high)):
        masked = np.where(valid & mask[None, :], sims, -np.inf)
        best = masked.max(axis=1) if n else np.full(m, -np.inf)
        out[:, col] = np.where(np.isfinite(best), best, 0.0)
    return out


def graded_neighbour_features(sims: np.ndarray, kernel: np.ndarray, lex: np.ndarray, lex_kernel: np.ndarray,
                              grades: np.ndarray, cfg: CalibrationConfig) -> np.ndarray:
    """All neighbour features (`NEIGHBOUR_FEATURES` order) of m answers against n graded answers of the same
    question (none of them the answer itself), grades on 0..1. `sims` (m x n) and `kernel` (n x n) are cosine
    similarities of answer vectors, `lex` and `lex_kernel` the same for lexical vectors: k-NN and kernel ridge
    over each (the lexical side sees wording and negation that sentence vectors blur)."""
    out = np.zeros((sims.shape[0], len(NEIGHBOUR_FEATURES)))
    if not len(grades) or not len(sims):
        return out
    out[:, :_KNN] = neighbour_features(sims, grades, cfg)
    p = cfg.neighbour_kernel_power
    out[:, _KNN] = _kernel_ridge(kernel ** p, sims ** p, grades, cfg.neighbour_ridge)
    out[:, _KNN + 1:_KNN + 4] = neighbour_features(lex, grades, cfg)[:, :3]
    out[:, _KNN + 4] = _kernel_ridge(lex_kernel ** p, lex ** p, grades, cfg.neighbour_ridge)
    out[:, _KNN + 5] = _kernel_ridge((kernel ** p + lex_kernel ** p) / 2, (sims ** p + lex ** p) / 2, grades,
                                     cfg.neighbour_ridge)
    return out


def lexical_vectors(texts: Sequence[str], cfg: CalibrationConfig):
    """Character n-gram vectors (within word boundaries, lower-cased, log term frequency, L2-normalised),
    hashed, so that they need no fitted vocabulary: the same text always gets the same vector."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize

    counts = HashingVectorizer(analyzer="char_wb", ngram_range=tuple(cfg.lexical_ngrams), n_features=2 ** 20,
                               alternate_sign=False, norm=None, dtype=np.float64).transform(list(texts))
    counts.data = np.log1p(counts.data)
    return normalize(counts).tocsr()


def _kernel_ridge(k_nn: np.ndarray, k_mn: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Kernel ridge regression on the neighbours' grades (centred on their mean), predicted for m answers."""
    mean = float(np.mean(y))
    alpha = np.linalg.solve(np.asarray(k_nn, dtype=np.float64) + lam * np.eye(len(y)), y - mean)
    return np.clip(k_mn @ alpha + mean, 0.0, 1.0)


def _negated(text: str) -> bool:
    return any(t in _NEGATIONS for t in _TOKEN.findall(text.lower().replace("n't", " not")))


def _content(text: str) -> set[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return {t[:_STEM] for t in _TOKEN.findall(text.lower()) if t in _NEGATIONS or t not in STOP_WORDS}


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return (v / norm).astype(np.float32) if norm > 0 else np.zeros_like(v, dtype=np.float32)


def round_vectors(vectors: np.ndarray) -> np.ndarray:
    """Vectors as the calibration file stores them (float16), so fitting and applying see the same numbers."""
    return np.asarray(vectors, dtype=np.float16).astype(np.float32)

"""Stage inference: give every sentence a stage (or none) when its headings do not.

A linear chain over the answer's sentences with one state per stage plus `none` (preamble, asides,
off-topic text), decoded with Viterbi:

- emission: a sentence's best cosine similarity to each stage's prototypes (the question's key points for that
  stage and the stage's generic points), divided by the rubric's `temperature`; `none` scores
  `none_similarity` the same way; a sentence opening with a stage's heading phrase ("For training, ...")
  gets `cue_bonus` for it; in an answer with stage headings, text before the first of them gets
  `preamble_bonus` for none. Headings dominate: a sentence under a heading that names one stage is fixed to it,
  under a heading that names several ("Model + training") it may only take those, under a summary / contents
  heading it is `none`.
- transitions: staying costs nothing; moving forward costs `forward` plus `skip` per stage jumped over;
  moving back costs `backward`; entering / leaving `none` cost `to_none` / `from_none`; any change between two
  sentences of one paragraph costs `block_switch` more. Answers mostly move forward but may go back.

Confidence is the posterior probability of the chosen state (forward-backward over the same potentials).
Pure: the embedding table is computed once for the batch by the pipeline.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from grader.embedding.cache import EmbeddingTable
from grader.models import GENERIC_QUESTION_ID, InferenceConfig, Question, Rubric, SectionedAnswer, Sentence, Stage
from grader.pipeline.sections import stages_of_heading

_NEG = -1e9  # a forbidden state (finite, so sums stay finite)


NONE = ""  # the key of the none state's prototypes
QUESTION = "?"  # the key of the question's own wording


def stage_prototypes(rubric: Rubric, question: Question) -> dict[str, list[str]]:
    """Texts that stand for each stage: the question's key points there, then the stage's generic points;
    under `NONE`, the rubric's none points (greetings, agendas, closings); under `QUESTION`, the question's
    own wording."""
    protos = {s.id: [kp.text for kp in question.key_points.get(s.id, [])] + s.generic_texts()
              for s in rubric.stages}
    protos[NONE] = list(rubric.sections.none_points)
    protos[QUESTION] = [t for t in (question.title, question.prompt, *question.aliases) if t] \
        if question.id != GENERIC_QUESTION_ID else []
    return protos


def prototype_texts(rubric: Rubric, ids: Collection[str] | None = None) -> list[str]:
    """Every text `stage_prototypes` may return for any question of the rubric (of those in `ids`, when given)
    and for the generic rubric, for the batch's embedding table."""
    return [t for q in rubric.questions if ids is None or q.id in ids for t in (
        *(kp.text for _, kp in q.all_key_points()), q.title, q.prompt, *q.aliases) if t] + [
        t for s in rubric.stages for t in s.generic_texts()] + list(rubric.sections.none_points)


def stage_membership(sentence: Sentence, stage_ids: Sequence[str]) -> np.ndarray:
    """How much a sentence belongs to each stage of `stage_ids`: its inferred probabilities (the decoder's
    posteriors, which move smoothly with the embeddings), else 1 for the stage its heading gave it."""
    if sentence.stage_probs:
        return np.asarray(sentence.stage_probs, dtype=float)
    return np.array([1.0 if sentence.stage == s else 0.0 for s in stage_ids])


def infer_stages(answer: SectionedAnswer, stages: Sequence[Stage], prototypes: dict[str, list[str]],
                 cfg: InferenceConfig, table: EmbeddingTable) -> SectionedAnswer:
    """The answer with every sentence's stage decided: heading-fixed ones kept, the others decoded."""
    sents = answer.sentences
    if all(s.method == "heading" for s in sents):
        return answer
    ids = [s.id for s in stages]
    emit = _emissions(sents, stages, prototypes, cfg, table)
    trans = _transitions(len(ids), cfg)
    start = np.array([0.0] + [-cfg.skip * k for k in range(len(ids))])
    # paragraphs only matter when there are several: a wall of prose or an unbroken transcript has none
    paragraphs = len({s.block for s in sents}) > 1
    # ... and inside a heading that names several stages the change is expected
    same_block = np.array([paragraphs and sents[i].block == sents[i - 1].block and len(sents[i].candidates) < 2
                           for i in range(1, len(sents))], dtype=bool)
    path = _viterbi(emit, trans, start, same_block, cfg.block_switch)
    post = _posteriors(emit, trans, start, same_block, cfg.block_switch)
    out: list[Sentence] = []
    for i, s in enumerate(sents):
        if s.method == "heading":
            out.append(s)
            continue
        state = int(path[i])
        out.append(s.model_copy(update={"stage": ids[state - 1] if state else None, "method": "inferred",
                                        "confidence": round(float(post[i, state]), 4),
                                        "stage_probs": tuple(float(p) for p in post[i, 1:])}))
    return answer.model_copy(update={"sentences": out})


def _emissions(sents: Sequence[Sentence], stages: Sequence[Stage], prototypes: dict[str, list[str]],
               cfg: InferenceConfig, table: EmbeddingTable) -> np.ndarray:
    ids = [s.id for s in stages]
    vecs = table.matrix([s.text for s in sents])
    emit = np.empty((len(sents), len(ids) + 1))
    none_sim = np.full(len(sents), cfg.none_similarity)
    for key, offset in ((NONE, 0.0), (QUESTION, cfg.question_offset)):
        if prototypes.get(key):
            none_sim = np.maximum(none_sim, (vecs @ table.matrix(prototypes[key]).T).max(axis=1) - offset)
    emit[:, 0] = none_sim / cfg.temperature
    for k, sid in enumerate(ids):
        protos = prototypes.get(sid) or []
        sims = vecs @ table.matrix(protos).T if protos else np.zeros((len(sents), 1))
        emit[:, k + 1] = sims.max(axis=1) / cfg.temperature
    if cfg.cue_words and cfg.cue_bonus:
        for i, s in enumerate(sents):
            for sid in stages_of_heading(" ".join(s.text.split()[:cfg.cue_words]), stages):
                emit[i, ids.index(sid) + 1] += cfg.cue_bonus
    first = next((i for i, s in enumerate(sents) if s.candidates), None)
    if first is not None and cfg.preamble_bonus:
        emit[:first, 0] += cfg.preamble_bonus  # text before the first stage heading introduces the answer
    for i, s in enumerate(sents):
        if s.forced_none:
            emit[i, 1:] = _NEG
        elif s.candidates:
            allowed = [ids.index(c) + 1 for c in s.candidates]
            mask = np.ones(len(ids) + 1, dtype=bool)
            mask[allowed] = False
            emit[i, mask] = _NEG
    return emit


def _transitions(k: int, cfg: InferenceConfig) -> np.ndarray:
    """Log-potentials from state a (row) to state b (column); state 0 is none."""
    t = np.zeros((k + 1, k + 1))
    t[0, 1:] = -cfg.from_none
    t[1:, 0] = -cfg.to_none
    for a in range(k):
        for b in range(k):
            if b > a:
                t[a + 1, b + 1] = -(cfg.forward + cfg.skip * (b - a - 1))
            elif b < a:
                t[a + 1, b + 1] = -cfg.backward
    return t


def _step(trans: np.ndarray, same_block: bool, block_switch: float) -> np.ndarray:
    if not same_block or not block_switch:
        return trans
    return trans - block_switch * (1.0 - np.eye(len(trans)))


def _viterbi(emit: np.ndarray, trans: np.ndarray, start: np.ndarray, same_block: np.ndarray,
             block_switch: float) -> np.ndarray:
    n, m = emit.shape
    score = start + emit[0]
    back = np.zeros((n, m), dtype=int)
    for i in range(1, n):
        cand = score[:, None] + _step(trans, bool(same_block[i - 1]), block_switch)
        back[i] = np.argmax(cand, axis=0)  # first of equal maxima: deterministic
        score = cand[back[i], np.arange(m)] + emit[i]
    path = np.zeros(n, dtype=int)
    path[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def _posteriors(emit: np.ndarray, trans: np.ndarray, start: np.ndarray, same_block: np.ndarray,
                block_switch: float) -> np.ndarray:
    n, m = emit.shape
    fwd = np.empty((n, m))
    bwd = np.zeros((n, m))
    fwd[0] = start + emit[0]
    for i in range(1, n):
        fwd[i] = _lse(fwd[i - 1][:, None] + _step(trans, bool(same_block[i - 1]), block_switch), axis=0) + emit[i]
    for i in range(n - 2, -1, -1):
        bwd[i] = _lse(_step(trans, bool(same_block[i]), block_switch) + (emit[i + 1] + bwd[i + 1])[None, :], axis=1)
    logp = fwd + bwd
    logp -= _lse(logp, axis=1)[:, None]
    return np.exp(logp)


def _lse(x: np.ndarray, axis: int) -> np.ndarray:
    top = np.max(x, axis=axis, keepdims=True)
    return (top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True))).squeeze(axis)

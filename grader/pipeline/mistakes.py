"""Flags interviewers penalise: the rubric's common mistakes and the question's penalties, each with its
evidence (the sentence that shows it, or what was looked for and not found) and its deduction.

A flag that says something is missing looks for it the way a reader would: across the whole answer, in
bare list items and in headings too (`present`: every concept with a non-negated mention anywhere but in
references and captions, or named by a heading). "A/B test" as a heading over a list of online metrics is an
A/B plan, not its absence. Explicit evidence of a mistake (`when_detected`, an order check) still needs a
substantive sentence. Deductions multiply the named dimensions by (1 - deduction) in
`grader.pipeline.scoring`, up to the rubric's cap per dimension.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.models import (
    Anchor, DetectorHit, MistakeHit, MistakeSpec, Penalty, Question, Rubric, SectionedAnswer, StageCoverage,
)


def find_mistakes(answer: SectionedAnswer, question: Question, rubric: Rubric, hits: Sequence[DetectorHit],
                  coverage: Sequence[StageCoverage], firsts: dict[str, int],
                  present: frozenset[str] | None = None) -> list[MistakeHit]:
    """Common mistakes that apply to `question`, then its penalties, in rubric order.

    `firsts` maps a detector id to the index of the first sentence with a substantive mention of it
    (for order checks); `present`: the concepts the answer names anywhere (None: only its hits)."""
    by_id = {h.id: h for h in hits}
    seen = present if present is not None else frozenset(h.id for h in hits if h.hit)
    out: list[MistakeHit] = []
    for m in rubric.mistakes:
        if m.questions and question.id not in m.questions:
            continue
        if m.applies_if and not seen & set(m.applies_if):
            continue  # its premise does not hold: nothing to be mistaken about
        evidence = (_order(answer, m, firsts) if m.check == "order" else _missing(m, by_id, seen))
        if evidence:
            out.append(MistakeHit(id=m.id, evidence=evidence, source="mistake", deduction=m.deduction,
                                  dimensions=m.dimensions or [d.id for d in rubric.dimensions], advice=m.advice))
    matched = {f"{c.stage}.{p.id}" for c in coverage for p in c.points if p.matched}
    for p in question.penalties:
        if p.applies_if and not seen & set(p.applies_if):
            continue
        evidence = _penalty(p, by_id, matched, seen)
        if evidence:
            out.append(MistakeHit(id=p.id, evidence=evidence, source="penalty",
                                  deduction=_deduction(p, rubric), dimensions=_dimensions(p, rubric),
                                  advice=p.advice))
    return out


def _found(ids: Sequence[str], by_id: dict[str, DetectorHit]) -> list[DetectorHit]:
    return [by_id[i] for i in ids if i in by_id and by_id[i].hit]


def _not_found(ids: Sequence[str], by_id: dict[str, DetectorHit]) -> str:
    parts = [f"no mention of {', '.join(ids)}"]
    for i in ids:
        h = by_id.get(i)
        if h is not None and not h.hit:
            parts.append(f"{i} {h.note}: “{h.evidence[:100]}”")
    return "; ".join(parts)


def _missing(m: MistakeSpec, by_id: dict[str, DetectorHit], seen: frozenset[str]) -> str | None:
    """Raised when none of `unless_detected` is hit; the evidence is a `when_detected` sentence if there is one
    ("if AUC > 0.8 we deploy"). An offline gate followed by a shadow run and an A/B test is sound practice, so
    `when_detected` alone does not raise the flag when the answer also has what `unless_detected` asks for."""
    if seen & set(m.unless_detected):
        return None
    explicit = _found(m.when_detected, by_id)
    if explicit:
        return f"{explicit[0].id}: “{explicit[0].evidence[:160]}”"
    if m.unless_detected:
        return _not_found(m.unless_detected, by_id)
    return None


def _first(answer: SectionedAnswer, anchor: Anchor, firsts: dict[str, int], *, anywhere: bool) -> int | None:
    """The first sentence in one of the anchor's stages, or naming one of its detectors: anywhere, or (for
    the early anchor) only where no heading placed the sentence (stage none or inferred), so that answers
    without headings are judged by what they say in order, and a model named under a clarify heading does not
    count as modelling."""
    cands = [i for i, s in enumerate(answer.sentences) if s.stage in anchor.stages]
    cands += [firsts[d] for d in anchor.detectors
              if d in firsts and (anywhere or answer.sentences[firsts[d]].method != "heading")]
    return min(cands, default=None)


def _order(answer: SectionedAnswer, m: MistakeSpec, firsts: dict[str, int]) -> str | None:
    assert m.early is not None and m.late is not None
    early = _first(answer, m.early, firsts, anywhere=False)
    late = _first(answer, m.late, firsts, anywhere=True)
    if early is None or (late is not None and late <= early) or (late is None and not m.late_must_appear):
        return None
    where = f"“{answer.sentences[early].text[:120]}”"
    if late is None:
        return f"the model comes up at {where} and the ML task is never defined"
    return f"the model comes up at {where} before the ML task at “{answer.sentences[late].text[:80]}”"


def _penalty(p: Penalty, by_id: dict[str, DetectorHit], matched: set[str], seen: frozenset[str]) -> str | None:
    if not (p.unless_detected or p.unless_covered):
        return None
    if seen & set(p.unless_detected) or matched & set(p.unless_covered):
        return None
    parts = [_not_found(p.unless_detected, by_id)] if p.unless_detected else []
    if p.unless_covered:
        parts.append(f"key point(s) not covered: {', '.join(p.unless_covered)}")
    return "; ".join(parts)


def _deduction(p: Penalty, rubric: Rubric) -> float:
    if p.deduction is not None:
        return p.deduction
    return rubric.detection.penalty_deduction if rubric.detection else 0.0


def _dimensions(p: Penalty, rubric: Rubric) -> list[str]:
    if p.dimensions is not None:
        return list(p.dimensions)
    feeds = {dim for d in rubric.detectors if d.id in p.unless_detected for dim in d.feeds}
    return [d.id for d in rubric.dimensions if d.id in feeds]

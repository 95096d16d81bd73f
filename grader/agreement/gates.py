"""Agreement gates (`grader agree --fail-under METRIC=X`): parsed once, checked against the agreement of each
dimension.

>>> gate = parse_gates(["bias=0.1"])[0]
>>> gate.metric.worse_than(-0.9, gate.limit), gate.metric.worse_than(0.05, gate.limit)
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from grader.agreement.metrics import METRICS, Metric
from grader.errors import GraderError
from grader.models import RatingsAgreement


@dataclass(frozen=True)
class Gate:
    metric: Metric
    limit: float


def parse_gates(specs: Sequence[str | Gate]) -> list[Gate]:
    """`METRIC=NUMBER` strings (or ready gates) -> gates; an unknown metric or a malformed spec: GraderError."""
    gates = []
    for spec in specs:
        if isinstance(spec, Gate):
            gates.append(spec)
            continue
        name, sep, value = spec.partition("=")
        try:
            limit = float(value)
        except ValueError:
            limit = None
        if not sep or limit is None:
            raise GraderError(f"--fail-under {spec!r}: expected METRIC=NUMBER")
        gates.append(Gate(METRICS.get(name.strip()), limit))
    return gates


def failed_gates(dimensions: Mapping[str, RatingsAgreement], gates: Sequence[Gate],
                 machines: Sequence[str]) -> list[str]:
    """One line per (dimension, rater, gate) that fails: the machines are gated, else every rater. Values are
    those of the report (rounded to 4 decimals); an undefined one fails."""
    failures = []
    for dim, d in dimensions.items():
        gated = [r for r in d.raters if r in machines] or list(d.raters)
        for rater in gated:
            for gate in gates:
                v = d.raters[rater].metrics.get(gate.metric.name)
                if v is None or gate.metric.worse_than(v, gate.limit):
                    failures.append(f"{dim}: {rater} {gate.metric.name} "
                                    f"{'undefined' if v is None else format(v, '.4f')} "
                                    f"{gate.metric.gate_word} {gate.limit:g}")
    return failures

"""Thresholds a report can fall under (`--fail-under`, `--fail-under-dimension`) and its weakest dimensions.

Scores are compared as the report states them (rounded), so what a reader sees is what was compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.errors import GraderError
from grader.models import Report, Rubric, RunConfig


@dataclass(frozen=True)
class Breach:
    """One threshold one report falls under: `name` is "overall" or a dimension id."""

    name: str
    score: float
    threshold: float

    def __str__(self) -> str:
        shown = f"{self.score:.2f}"
        if float(shown) >= self.threshold:  # 0.6499 under 0.65 must not read "0.65 under 0.65"
            shown = f"{self.score:.4f}"
        return f"{self.name} {shown} under {self.threshold:g}"


def check_threshold_names(config: RunConfig, rubric: Rubric) -> None:
    """Refuse a `--fail-under-dimension` that names no dimension of the rubric (a usage error)."""
    known = [d.id for d in rubric.dimensions]
    unknown = [name for name in config.fail_under_dimension if name not in known]
    if unknown:
        raise GraderError(f"--fail-under-dimension: unknown dimension {', '.join(map(repr, unknown))}; "
                          f"the rubric has {', '.join(known)}")


def has_thresholds(config: RunConfig) -> bool:
    return config.fail_under is not None or bool(config.fail_under_dimension)


def breaches(report: Report, config: RunConfig) -> list[Breach]:
    """Every threshold of `config` that `report` falls under: overall first, then dimensions in report order."""
    out: list[Breach] = []
    if config.fail_under is not None and report.overall.score < config.fail_under:
        out.append(Breach("overall", report.overall.score, config.fail_under))
    for name, dim in report.dimensions.items():
        limit = config.fail_under_dimension.get(name)
        if limit is not None and dim.score < limit:
            out.append(Breach(name, dim.score, limit))
    return out


def weakest_dimensions(report: Report, n: int = 3) -> list[tuple[str, float]]:
    """The `n` lowest-scoring dimensions, lowest first (ties by id, so the order is stable)."""
    return sorted(((name, d.score) for name, d in report.dimensions.items()), key=lambda x: (x[1], x[0]))[:n]


def describe_thresholds(config: RunConfig) -> str:
    """`0.5, data_intuition=0.4`: the thresholds as a user typed them."""
    parts = [f"{config.fail_under:g}"] if config.fail_under is not None else []
    parts += [f"{name}={limit:g}" for name, limit in config.fail_under_dimension.items()]
    return ", ".join(parts)

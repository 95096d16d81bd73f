"""Thresholds a report can fall under (`--fail-under`, `--fail-under-dimension`) and its weakest dimensions.

A threshold compares the report's headline: the calibrated grade where the report has one (1-4 with the
shipped calibration), else the raw 0-1 score. Scores are compared as the report states them (rounded), so what a
reader sees is what was compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.errors import GraderError
from grader.models import Report, Rubric, RunConfig, Scale


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


def check_threshold_range(config: RunConfig, scale: Scale | None, headline: str) -> None:
    """Refuse a threshold outside the headline's scale (`scale` None: raw scores, 0-1), naming the scale."""
    lo, hi = (scale.min, scale.max) if scale else (0.0, 1.0)
    limits = ([("--fail-under", config.fail_under)] if config.fail_under is not None else []) + \
        [(f"--fail-under-dimension {n}", v) for n, v in config.fail_under_dimension.items()]
    for name, value in limits:
        if not lo <= value <= hi:
            raise GraderError(f"{name} {value:g} is outside the scale the reports headline: {headline or 'raw 0-1'}",
                              hint="pass a threshold on that scale, or choose the scale with --calibration")


def headline(report: Report, name: str = "overall") -> float:
    """What a threshold compares: the calibrated grade where there is one, else the raw score."""
    part = report.overall if name == "overall" else report.dimensions[name]
    return part.score if part.grade is None else part.grade


def has_thresholds(config: RunConfig) -> bool:
    return config.fail_under is not None or bool(config.fail_under_dimension)


def breaches(report: Report, config: RunConfig) -> list[Breach]:
    """Every threshold of `config` that `report` falls under: overall first, then dimensions in report order."""
    out: list[Breach] = []
    if config.fail_under is not None and headline(report) < config.fail_under:
        out.append(Breach("overall", headline(report), config.fail_under))
    for name in report.dimensions:
        limit = config.fail_under_dimension.get(name)
        if limit is not None and headline(report, name) < limit:
            out.append(Breach(name, headline(report, name), limit))
    return out


def weakest_dimensions(report: Report, n: int = 3) -> list[tuple[str, float]]:
    """The `n` lowest-scoring dimensions, lowest first (ties by id, so the order is stable)."""
    return sorted(((name, d.score) for name, d in report.dimensions.items()), key=lambda x: (x[1], x[0]))[:n]


def describe_thresholds(config: RunConfig) -> str:
    """`0.5, data_intuition=0.4`: the thresholds as a user typed them."""
    parts = [f"{config.fail_under:g}"] if config.fail_under is not None else []
    parts += [f"{name}={limit:g}" for name, limit in config.fail_under_dimension.items()]
    return ", ".join(parts)

"""Thresholds (--fail-under, --fail-under-dimension): breaches, the weakest dimensions, their wording."""

import pytest

from grader.errors import GraderError
from grader.models import RunConfig
from grader.reports.thresholds import Breach, breaches, check_threshold_names, describe_thresholds, weakest_dimensions

from helpers import GOOD


@pytest.fixture
def report(grade_files):
    return grade_files({"a.md": GOOD}).reports[0]


def test_no_thresholds_no_breach(report):
    assert breaches(report, RunConfig()) == []


def test_overall_and_dimension_breaches_in_order(report):
    framing, building = report.dimensions["framing"].score, report.dimensions["building"].score
    config = RunConfig(fail_under=1.0, fail_under_dimension={"building": 1.0, "framing": 0.0})
    assert breaches(report, config) == [Breach("overall", report.overall.score, 1.0),
                                        Breach("building", building, 1.0)]
    # a threshold equal to the score is met, not missed
    assert breaches(report, RunConfig(fail_under_dimension={"framing": framing})) == []


def test_weakest_dimensions_lowest_first(report):
    weak = weakest_dimensions(report, n=5)
    assert [s for _, s in weak] == sorted(d.score for d in report.dimensions.values())
    assert len(weakest_dimensions(report, n=1)) == 1


def test_breach_text_never_reads_as_met():
    assert str(Breach("overall", 0.31, 0.5)) == "overall 0.31 under 0.5"
    assert str(Breach("data_intuition", 0.6499, 0.65)) == "data_intuition 0.6499 under 0.65"


def test_unknown_dimension_is_a_usage_error(tiny_rubric):
    check_threshold_names(RunConfig(fail_under_dimension={"framing": 0.5}), tiny_rubric)
    with pytest.raises(GraderError, match=r"unknown dimension 'framin'; the rubric has framing, building"):
        check_threshold_names(RunConfig(fail_under_dimension={"framin": 0.5}), tiny_rubric)


def test_describe_thresholds():
    assert describe_thresholds(RunConfig(fail_under=0.5, fail_under_dimension={"framing": 0.4})) == \
        "0.5, framing=0.4"

"""What every format shares: each answer's report name, safe and unique in the batch."""

from grader.reports import report_names

from helpers import GOOD


def test_report_names_are_safe_and_unique(grade_files):
    result = grade_files({"x/a b.md": GOOD, "y/a b.md": GOOD, "..md": GOOD})
    names = report_names(result.reports)
    assert sorted(names.values()) == ["a_b", "a_b-2", "answer"]

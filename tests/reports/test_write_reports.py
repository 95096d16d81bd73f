"""write_reports: nothing written outside the output folder, one clear error when it cannot be made, an
interrupted write leaves the previous report whole, and the temporary files of a killed run are removed."""

import os

import pytest

from grader.errors import GraderError
from grader.models import BatchResult, RunConfig
from grader.reports import write_reports
from grader.run.batch import grade_paths

from helpers import GOOD, dead_pid, temp_name


def test_reports_cannot_escape_the_output_folder(tmp_path, grade_files):
    result = grade_files({"a.md": GOOD})
    evil = result.reports[0].model_copy(update={"answer": result.reports[0].answer.model_copy(
        update={"path": "../../../evil.md"})})
    out = tmp_path / "out"
    written = write_reports(BatchResult(reports=[evil], failures=[]), ["json", "md"], out)
    assert all(p.parent == out.resolve() or p.parent == out for p in written)
    assert not (tmp_path / "evil.json").exists()


def test_unwritable_output_folder_is_a_grader_error(tmp_path, grade_files):
    result = grade_files({"a.md": GOOD})
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GraderError, match="cannot create output folder"):
        write_reports(result, ["json"], blocker / "out")


def test_an_interrupted_write_leaves_the_previous_report_whole_and_no_temp_file(tmp_path, monkeypatch, toolkit,
                                                                               tiny_rubric):
    """Ctrl-C while a report is being written (in process: the CLI itself exits at once on an interrupt)."""
    import grader.reports as reports

    (tmp_path / "a.md").write_text(GOOD)
    out = tmp_path / "out"
    reports.write_reports(grade_paths([str(tmp_path / "a.md")], tiny_rubric, RunConfig(), toolkit), ["json"], out)
    before = (out / "a.json").read_bytes()
    (tmp_path / "a.md").write_text(GOOD.replace("CNN", "convolutional network pretrained on imagenet"))
    result = grade_paths([str(tmp_path / "a.md")], tiny_rubric, RunConfig(), toolkit)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(reports.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reports.write_reports(result, ["json", "md"], out)
    assert (out / "a.json").read_bytes() == before and sorted(p.name for p in out.iterdir()) == ["a.json"]


def test_a_killed_runs_temporary_files_are_removed_and_nothing_else(tmp_path, grade_files):
    out = tmp_path / "out"
    out.mkdir()
    stale = out / temp_name("a.json", dead_pid())
    live = out / temp_name("b.json", os.getpid())  # a concurrent run's write in progress
    others = [out / ".notes.tmp", out / "x.json", live]
    for p in [stale, *others]:
        p.write_text("half")
    write_reports(grade_files({"a.md": GOOD}), ["json"], out)
    assert sorted(p.name for p in out.iterdir()) == sorted(["a.json", *(p.name for p in others)])

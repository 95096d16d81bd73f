"""Grading paths as a batch: a bad file loses no other, the order of the paths changes no byte, and every
file ends as a report or a one-line failure."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.models import RunConfig
from grader.pipeline.grade import Toolkit
from grader.reports import FORMATS, write_reports
from grader.run.batch import grade_paths

from helpers import ANSWER_SUFFIXES, ANSWER_TEXTS, GOOD, write_files


def test_one_bad_file_does_not_lose_the_others(grade_files):
    result = grade_files({
        "a.md": GOOD, "b.md": b"\xff\xfe\xfa", "c.md": "---\nquestion: dogs\n---\ntext\n",
        "d.md": "```\ncode only\n```\n", "e.md": GOOD.replace("cats", "trains")})
    assert [Path(r.answer.path).name for r in result.reports] == ["a.md", "e.md"]
    msgs = {Path(f.path).name: f.message for f in result.failures}
    assert set(msgs) == {"b.md", "c.md", "d.md"}
    assert "unknown question id 'dogs'" in msgs["c.md"] and "no prose to grade" in msgs["d.md"]


def test_same_input_same_bytes_whatever_the_order(tmp_path, toolkit, tiny_rubric, config):
    files = {"a.md": GOOD, "b.md": GOOD.replace("CNN", "gradient boosted trees"), "c.md": b""}
    paths = [str(p) for p in write_files(tmp_path / "in", files)]
    out1, out2 = tmp_path / "o1", tmp_path / "o2"
    write_reports(grade_paths(paths, tiny_rubric, config, toolkit), FORMATS.names(), out1)
    write_reports(grade_paths(paths[::-1], tiny_rubric, config, toolkit), FORMATS.names(), out2)
    names = sorted(p.name for p in out1.iterdir())
    assert names == sorted(p.name for p in out2.iterdir()) and len(names) == 10
    for name in names:
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.lists(st.tuples(ANSWER_TEXTS | st.binary(max_size=80), ANSWER_SUFFIXES), min_size=1, max_size=4))
def test_a_batch_accounts_for_every_file(tmp_path_factory, tiny_rubric, nlp, hashing, contents):
    """Whatever the files, grading never raises: each file is a report or a one-line failure naming it."""
    d = tmp_path_factory.mktemp("batch")
    paths = []
    for i, (content, suffix) in enumerate(contents):
        p = d / f"a{i}{suffix}"
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        paths.append(str(p))
    result = grade_paths(paths, tiny_rubric, RunConfig(), Toolkit(nlp=nlp, embedder=hashing))
    done = [r.answer.path for r in result.reports] + [f.path for f in result.failures]
    assert sorted(done) == sorted(paths)
    assert all(f.message.startswith(f.path) and "\n" not in f.message for f in result.failures)
    assert all(0 <= r.overall.score <= 1 for r in result.reports)

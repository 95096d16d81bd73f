"""GraderError: every error the user sees is one line, naming the file and a hint."""

from grader.errors import GraderError


def test_grader_error_is_one_line():
    err = GraderError("bad\nthing   here", path="a.md", hint="fix\nit")
    assert str(err) == "a.md: bad thing here (fix it)"

import pytest

from grader import cli
from grader.cli import KNOWN_BACKENDS, KNOWN_ENGINES, KNOWN_FORMATS
from grader.run.engines import ENGINES
from grader.embedding.backends import BACKENDS
from grader.errors import GraderError
from grader.registry import Registry
from grader.reports import FORMATS


def test_duplicate_name_with_another_object_is_refused():
    reg: Registry[int] = Registry("thing")
    reg.register("a")(1)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(2)


def test_unknown_name_lists_available():
    reg: Registry[int] = Registry("thing")
    reg.register("b")(1)
    reg.register("a")(2)
    with pytest.raises(GraderError, match=r"unknown thing 'c'; available: a, b"):
        reg.get("c")


def test_cli_choices_match_registries():
    # The CLI keeps literal lists so that --help imports nothing heavy; they must not drift.
    assert sorted(KNOWN_FORMATS) == FORMATS.names()
    assert sorted(KNOWN_BACKENDS) == BACKENDS.names()
    assert sorted(KNOWN_ENGINES) == ENGINES.names()
    from grader.embedding.backends import DEFAULT_BACKEND
    from grader.run.engines import EngineOptions

    assert cli.DEFAULT_BACKEND == DEFAULT_BACKEND == EngineOptions().backend


def test_grader_error_is_one_line():
    err = GraderError("bad\nthing   here", path="a.md", hint="fix\nit")
    assert str(err) == "a.md: bad thing here (fix it)"

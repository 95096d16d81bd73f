"""The registry behind formats, backends, engines and detector kinds: a name is never silently replaced, and
an unknown name lists the known ones."""

import pytest

from grader.errors import GraderError
from grader.registry import Registry


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

"""The package's shape, checked statically: no import cycle (lazy imports inside functions and TYPE_CHECKING
imports count), no module over 600 lines, at most 12 modules directly in `grader/`, and no private name of the
grader imported by the CLI's users (benchmarks) or across subpackages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import ROOT

PACKAGE = ROOT / "grader"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, name: str) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import in the file, wherever it stands. `from X
    import Y` names the module X.Y when that is a module of the package, else X."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                target = f"{base}.{a.name}"
                out.append((target, "", node.lineno) if target in MODULES else (base, a.name, node.lineno))
    return out


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for target, _, _ in imports_of(path, name):
            if target in MODULES and target != name:
                edges[name].add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_imports_are_resolved_to_modules_of_the_package():
    edges = graph()
    assert "grader.pipeline.grade" in edges["grader.run.batch"]
    assert "grader.models" in edges["grader.pipeline.grade"]  # `from grader.models import X`: the package
    assert "grader.reports.junit" in edges["grader.reports"]  # `from grader.reports import junit`: the module
    assert len(edges) == len(MODULES) > 40


def test_no_import_cycle_anywhere_in_the_package():
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_600_lines(name):
    assert len(MODULES[name].read_text().splitlines()) <= 600


def test_at_most_12_modules_directly_in_the_package():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top
    assert all((p / "__init__.py").is_file() for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")


def _private_imports(path: Path) -> list[str]:
    name = module_name(path) if path.is_relative_to(PACKAGE) else path.stem
    out = []
    for target, imported, line in imports_of(path, name):
        if not target.startswith("grader"):
            continue
        if imported.startswith("_") and not imported.startswith("__"):
            out.append(f"{path.name}:{line} imports {target}.{imported}")
    return out


def test_benchmarks_and_the_cli_import_no_private_name():
    files = sorted((ROOT / "benchmarks").glob("*.py")) + [PACKAGE / "cli.py", PACKAGE / "api.py"]
    assert not [p for f in files for p in _private_imports(f)]


def test_subpackages_import_no_private_name_of_another():
    problems = []
    for name, path in MODULES.items():
        sub = name.split(".")[:2]
        for target, imported, line in imports_of(path, name):
            if imported.startswith("_") and not imported.startswith("__") and target.split(".")[:2] != sub:
                problems.append(f"{name}:{line} imports {target}.{imported}")
    assert not problems

"""Read a rubric: YAML (safe-loaded, nothing executed) -> a validated, frozen `Rubric`.

Errors name the file, the field path and, where YAML knows it, the line. Relative paths in a rubric (golden
answers) are relative to the rubric file's folder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from grader.errors import GraderError
from grader.models import DatasetQuestion, Rubric

RUBRICS = Path(str(resources.files("grader.resources") / "rubrics"))  # package data (see grader/resources)
DEFAULT_RUBRIC = RUBRICS / "ml_system_design.yaml"
SHORT_ANSWER_RUBRIC = RUBRICS / "short_answer.yaml"
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)]|[a-z][.)])\s+", re.IGNORECASE)


def default_rubric_path() -> Path:
    if not DEFAULT_RUBRIC.is_file():
        raise GraderError(
            f"default rubric not found at {DEFAULT_RUBRIC}", hint="pass --rubric FILE"
        )
    return DEFAULT_RUBRIC


def load_rubric(path: str | Path) -> Rubric:
    """Load and validate a rubric file; raises `GraderError` with the first problem on one line."""
    rubric, problems = _checked(path)
    if problems:
        more = f" (and {len(problems) - 1} more: run `grader rubric check`)" if len(problems) > 1 else ""
        raise GraderError(problems[0] + more, path=str(path))
    return rubric  # type: ignore[return-value]


def rubric_problems(path: str | Path) -> list[str]:
    """Every problem found in a rubric file, one line each (empty when it is valid)."""
    return _checked(path)[1]


def check_rubric(path: str | Path) -> tuple[Rubric | None, list[str]]:
    """The rubric (None when it has problems) and every problem found in it, one line each."""
    return _checked(path)


def _checked(path: str | Path) -> tuple[Rubric | None, list[str]]:
    return _parse(path)


def _parse(path: str | Path) -> tuple[Rubric | None, list[str]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, ["file not found"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"cannot read rubric: {exc}"]
    try:
        # libyaml's safe loader when present (the default rubric parses ~20x faster); both construct only plain
        # types and refuse tags such as !!python/object. Nodes (for line numbers) only when validation fails.
        data = yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [f"{where}invalid YAML: {problem}"]
    if not isinstance(data, dict):
        return None, ["a rubric is a YAML mapping at the top level"]
    cross: list[tuple[tuple[str | int, ...], str]] = []
    try:
        rubric = Rubric.model_validate(data, context={"problems": cross})
    except ValidationError as exc:
        node = yaml.compose(text, Loader=_SafeLoader)
        return None, [_describe(err, node) for err in exc.errors()]
    cross += _file_problems(rubric, path.parent)
    if cross:
        node = yaml.compose(text, Loader=_SafeLoader)
        return None, [_where(list(loc), msg, node) for loc, msg in cross]
    return rubric, []


def _describe(err: Any, root: yaml.Node | None) -> str:
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after"))]
    return _where(loc, err["msg"].removeprefix("Value error, "), root)


def _where(loc: list[Any], msg: str, root: yaml.Node | None) -> str:
    """`line N: field.path: message`, the line being that of the YAML node at `loc` (or its deepest parent)."""
    field = ".".join(str(p) for p in loc) or "(top level)"
    line = _line_of(root, loc)
    return f"{'line ' + str(line) + ': ' if line else ''}{field}: {msg}"


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its deepest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(key)), None)
            nxt, mark = (pair[1], pair[0].start_mark) if pair else (None, None)  # a mapping entry: its key's line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
            mark = nxt.start_mark
        else:
            nxt = None
        if nxt is None:
            break
        node, line = nxt, mark.line + 1
    return line


def _file_problems(rubric: Rubric, base: Path) -> list[tuple[tuple[str | int, ...], str]]:
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for i, q in enumerate(rubric.questions):
        if not q.golden_answers:
            problems.append((("questions", i), f"question {q.id!r} has no golden answer"))
        for k, rel in enumerate(q.golden_answers):
            if not (base / rel).is_file():
                problems.append((("questions", i, "golden_answers", k), f"question {q.id!r}: golden answer {rel} not found"))
        if not any(q.key_points.values()):
            problems.append((("questions", i, "key_points"), f"question {q.id!r} has no key points"))
    return problems


def golden_answer_paths(rubric: Rubric, rubric_path: str | Path, question_id: str) -> list[Path]:
    base = Path(rubric_path).parent
    return [base / rel for rel in rubric.question(question_id).golden_answers]


def short_answer_rubric(questions: Sequence[DatasetQuestion], nlp: Any,
                        template: str | Path = SHORT_ANSWER_RUBRIC) -> tuple[Rubric, dict[str, str]]:
    """The generic single-stage, single-dimension rubric for a short-answer dataset, built in memory from the
    template's stages, dimension and thresholds plus one question per dataset question with a reference answer:
    its key points are the reference's lines, ';'-separated alternatives and sentences.

    Returns the rubric and the map dataset question id -> rubric question id (rubric ids are lower-case
    identifiers: `TC_10.1` -> `tc_10_1`, made unique with a suffix when two ids collide).
    """
    base = load_rubric(template)
    ids = rubric_question_ids([q.id for q in questions])
    stage = base.stage_ids[0]
    pieces = [[p for p in (_BULLET.sub("", x).strip() for line in q.reference.splitlines() for x in line.split(";"))
               if re.search(r"\w", p)] for q in questions]
    flat = [p for ps in pieces for p in ps]
    sentences = iter([[" ".join(s.text.split()) for s in doc.sents if re.search(r"\w", s.text)]
                      for doc in nlp.pipe(flat, batch_size=256)])
    built = []
    for q, ps in zip(questions, pieces):
        points = list(dict.fromkeys(s for _ in ps for s in next(sentences)))
        if not points:
            continue
        built.append({"id": ids[q.id], "title": " ".join(q.question.split())[:120] or q.id,
                      "prompt": q.question, "key_points": {stage: [{"id": f"p{i + 1}", "text": t}
                                                                  for i, t in enumerate(points)]}})
    data = base.model_dump(mode="json") | {"questions": built}
    return Rubric.model_validate(data), {q.id: ids[q.id] for q in questions}


def rubric_question_ids(ids: Sequence[str]) -> dict[str, str]:
    """Dataset question ids -> distinct rubric identifiers (`^[a-z0-9][a-z0-9_]*$`)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for qid in ids:
        stem = re.sub(r"[^a-z0-9]+", "_", qid.lower()).strip("_") or "q"
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}_{n}"
        used.add(name)
        out[qid] = name
    return out

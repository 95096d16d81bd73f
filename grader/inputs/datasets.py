"""Read human-graded datasets (edge I/O): the short-answer CSV contract and answer folders with `grades.csv`.

Short-answer folder (DESIGN.md, "Datasets"): `questions.csv` (`question_id,question,reference_answer`), optional
`reference_answers.csv` (`question_id,reference_answer`: more accepted answers, appended as reference lines),
`answers.csv` (`answer_id,question_id,answer,score` plus optional `rater_N`, `split`, `label`, ...), optional
`dataset.yaml` (name, `scale: {min, max, type, step}`). Ids are kept as strings. A score or grade that is empty
or `NA` means "not graded": the row (or that rater's grade) is skipped.

Answer folder: `answers/*.md` (front matter may name the question) plus `grades.csv` in long form
(`answer_id,rater,dimension,grade`, `answer_id` = the file's stem). The consensus grade of a dimension is the
mean of its raters.

Without a `dataset.yaml` scale, the scale is inferred from the grades: two values -> binary, integers ->
ordinal, else continuous. Every problem raises `GraderError` naming the file (and the row).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from grader.config import MAX_ANSWER_BYTES
from grader.errors import GraderError
from grader.inputs.answers import decode, expand_paths, read_answer
from grader.models import Answer, Dataset, DatasetQuestion, GradedAnswer, Scale

SCORE = "score"
_RATER = re.compile(r"^rater_?\w+$")


def read_dataset(path: str | Path) -> Dataset:
    """A short-answer folder (has `answers.csv`) or an answer folder (has `grades.csv` and `answers/`)."""
    root = Path(path)
    if not root.is_dir():
        raise GraderError("not a folder", path=str(root))
    if (root / "answers.csv").is_file():
        return read_short_answer(root)
    if (root / "grades.csv").is_file():
        return read_answer_folder(root)
    raise GraderError("not a dataset: expected answers.csv + questions.csv, or grades.csv + answers/",
                      path=str(root))


def read_short_answer(root: Path) -> Dataset:
    digest = hashlib.sha256()
    q_rows = _read_csv(root / "questions.csv", ["question_id"], digest)
    a_rows = _read_csv(root / "answers.csv", ["answer_id", "question_id", "answer", SCORE], digest)
    meta = _read_meta(root / "dataset.yaml", digest)
    questions: dict[str, DatasetQuestion] = {}
    for line, row in q_rows:
        qid = row["question_id"]
        if qid in questions:
            raise GraderError(f"line {line}: duplicate question_id {qid!r}", path=str(root / "questions.csv"))
        questions[qid] = DatasetQuestion(id=qid, question=row.get("question", "") or "",
                                         reference=row.get("reference_answer", "") or "")
    extra = root / "reference_answers.csv"
    if extra.is_file():  # optional: more reference answers per question, each another line of the reference
        more: dict[str, list[str]] = defaultdict(list)
        for line, row in _read_csv(extra, ["question_id", "reference_answer"], digest):
            if row["question_id"] not in questions:
                raise GraderError(f"line {line}: question_id {row['question_id']!r} is not in questions.csv",
                                  path=str(extra))
            more[row["question_id"]].append(" ".join((row["reference_answer"] or "").split()))
        for qid, texts in more.items():
            q = questions[qid]
            lines = list(dict.fromkeys([x.strip() for x in q.reference.splitlines()] + texts))
            questions[qid] = q.model_copy(update={"reference": "\n".join(x for x in lines if x)})
    raters = sorted((c for c in (a_rows[0][1] if a_rows else {}) if _RATER.match(c)), key=_natural)
    answers: list[GradedAnswer] = []
    seen: set[str] = set()
    where = str(root / "answers.csv")
    for line, row in a_rows:
        aid, qid = row["answer_id"], row["question_id"]
        if aid in seen:
            raise GraderError(f"line {line}: duplicate answer_id {aid!r}", path=where)
        seen.add(aid)
        if qid not in questions:
            raise GraderError(f"line {line}: question_id {qid!r} is not in questions.csv", path=where)
        score = _number(row[SCORE], where, line, SCORE)
        if score is None:
            continue
        ratings = {r: v for r in raters if (v := _number(row.get(r, ""), where, line, r)) is not None}
        answers.append(GradedAnswer(
            id=aid, question_id=qid,
            answer=Answer(path=aid, text=row["answer"], format="text", question_id=None),
            grades={SCORE: score}, ratings={SCORE: ratings} if ratings else {},
            split=row.get("split") or None, label=row.get("label") or None))
    if not answers:
        raise GraderError("no graded answers", path=where)
    scale = _scale(meta, [a.grades[SCORE] for a in answers], root / "dataset.yaml")
    return Dataset(name=str(meta.get("name") or root.name), kind="short_answer", path=str(root),
                   fingerprint=digest.hexdigest(), scale=scale, dimensions=[SCORE],
                   questions=list(questions.values()), answers=answers)


def read_answer_folder(root: Path) -> Dataset:
    digest = hashlib.sha256()
    rows = _read_csv(root / "grades.csv", ["answer_id", "rater", "dimension", "grade"], digest)
    meta = _read_meta(root / "dataset.yaml", digest)
    where = str(root / "grades.csv")
    by_answer: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    dimensions: list[str] = []
    for line, row in rows:
        grade = _number(row["grade"], where, line, "grade")
        if grade is None:
            continue
        dim, rater = row["dimension"], row["rater"]
        if rater in by_answer[row["answer_id"]][dim]:
            raise GraderError(f"line {line}: rater {rater!r} graded {row['answer_id']!r} / {dim} twice", path=where)
        by_answer[row["answer_id"]][dim][rater] = grade
        if dim not in dimensions:
            dimensions.append(dim)
    files, errors = expand_paths([str(root / "answers")])
    if errors:
        raise errors[0]
    stems = {f.stem: f for f in files}
    missing = sorted(set(by_answer) - set(stems))
    if missing:
        raise GraderError(f"grades name answer(s) with no file in answers/: {', '.join(missing[:5])}", path=where)
    answers: list[GradedAnswer] = []
    for stem in sorted(by_answer):
        f = stems[stem]
        answer = read_answer(f, max_bytes=MAX_ANSWER_BYTES)
        digest.update(f.read_bytes())
        ratings = {d: dict(sorted(r.items())) for d, r in sorted(by_answer[stem].items())}
        answers.append(GradedAnswer(id=stem, question_id=answer.question_id or "", answer=answer,
                                    grades={d: sum(r.values()) / len(r) for d, r in ratings.items()},
                                    ratings=ratings))
    if not answers:
        raise GraderError("no graded answers", path=where)
    scale = _scale(meta, [g for a in answers for r in a.ratings.values() for g in r.values()],
                   root / "dataset.yaml")
    return Dataset(name=str(meta.get("name") or root.name), kind="answer_folder", path=str(root),
                   fingerprint=digest.hexdigest(), scale=scale, dimensions=sorted(dimensions), questions=[],
                   answers=answers)


def _read_csv(path: Path, required: list[str], digest, *, what: str = "a CSV file",
              hint: str | None = None) -> list[tuple[int, dict[str, str]]]:
    """(line number of the record, row) for every record; ids stay strings. `what` names the file in the
    message for a binary one, `hint` follows the message for missing columns."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise GraderError("file not found", path=str(path)) from None
    except OSError as exc:
        raise GraderError(f"cannot read file: {exc.strerror or exc}", path=str(path)) from None
    digest.update(path.name.encode() + b"\0" + raw)
    reader = csv.DictReader(io.StringIO(decode(raw, str(path), what), newline=""), strict=True)
    try:
        header = reader.fieldnames or []
        if not header:
            raise GraderError("empty file: no header line", path=str(path), hint=hint)
        absent = [c for c in required if c not in header]
        if absent:
            raise GraderError(f"missing column(s) {', '.join(absent)}; the header is {','.join(header)}",
                              path=str(path), hint=hint)
        out = []
        line = reader.line_num + 1
        for row in reader:
            if None in row:
                raise GraderError(f"line {line}: more fields than the header has", path=str(path))
            out.append((line, {k: (v if v is not None else "") for k, v in row.items()}))
            line = reader.line_num + 1
        return out
    except csv.Error as exc:  # DictReader.line_num is only updated after a good row: ask its reader
        raise GraderError(f"line {reader.reader.line_num}: malformed CSV ({exc})", path=str(path)) from None


def _read_meta(path: Path, digest) -> dict:
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    digest.update(path.name.encode() + b"\0" + raw)
    try:
        meta = yaml.safe_load(decode(raw, str(path)))
    except yaml.YAMLError as exc:
        raise GraderError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", path=str(path)) from None
    if not isinstance(meta, dict):
        raise GraderError("dataset.yaml is not a mapping", path=str(path))
    return meta


#: Cells that mean "not graded" (besides an empty one).
NOT_GRADED = ("NA",)


def _number(text: str, where: str, line: int, column: str, hint: str | None = None) -> float | None:
    """A cell's number; None when it is empty or NA (not graded)."""
    text = (text or "").strip()
    if not text or text in NOT_GRADED:
        return None
    try:
        value = float(text)
    except ValueError:
        raise GraderError(f"line {line}: {column} {text!r} is not a number", path=where, hint=hint) from None
    if not math.isfinite(value):
        raise GraderError(f"line {line}: {column} {text!r} is not a finite number", path=where, hint=hint)
    return value


def _scale(meta: dict, grades: list[float], where: Path) -> Scale:
    given = meta.get("scale")
    if given is not None:
        if not isinstance(given, dict):
            raise GraderError("scale must be a mapping {min, max, type}", path=str(where))
        try:
            scale = Scale.model_validate({k: given[k] for k in ("min", "max", "type", "step") if k in given})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "scale"
            raise GraderError(f"scale.{field}: {err['msg'].removeprefix('Value error, ')}", path=str(where)) \
                from None
    else:
        scale = _inferred_scale(grades)
        if scale is None:
            raise GraderError("every grade is the same: no scale to calibrate to", path=str(where.parent))
    outside = [g for g in grades if not scale.min <= g <= scale.max]
    if outside:
        raise GraderError(f"{len(outside)} grade(s) outside the scale {scale.label} (e.g. {outside[0]:g})",
                          path=str(where.parent))
    return scale


def _inferred_scale(grades: list[float]) -> Scale | None:
    """Two values -> binary, integers -> ordinal, else continuous; None with fewer than two values."""
    values = sorted(set(grades))
    if len(values) < 2:
        return None
    kind = "binary" if len(values) == 2 else "ordinal" if all(v == int(v) for v in values) else "continuous"
    step = values[1] - values[0] if kind == "binary" else 1.0
    return Scale(min=values[0], max=values[-1], type=kind, step=step)


def _natural(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


RATINGS_COLUMNS = "item_id,rater,dimension,grade; answer_id is accepted for item_id"
_GRADE_HINT = "a grade is a number; leave the cell empty or write NA where the rater did not rate the item"


def read_ratings(path: str | Path, machines: Sequence[str] = (),
                 ) -> tuple[dict[str, tuple[list[str], list[str], list[list[float]]]], Scale]:
    """Long-form ratings (`item_id,rater,dimension,grade`; `answer_id` is accepted for `item_id`, as in
    `grades.csv`) -> per dimension (items, raters, items x raters grades with NaN where not rated), and the
    scale inferred from the human grades (every rater not in `machines`; see the module docstring). An empty
    or `NA` grade is "not rated": that rater's grade of the item is left out, the others' still count. Every
    problem raises `GraderError` naming the file (and the line) in terms of ratings, not of calibration."""
    p = Path(path)
    digest = hashlib.sha256()
    if p.is_dir():
        raise GraderError("a folder, not a ratings CSV file", path=str(p), hint=f"expected {RATINGS_COLUMNS}")
    if not p.is_file():
        raise GraderError("not a regular file (a pipe or device)" if p.exists() else "file not found", path=str(p))
    item_col = "answer_id" if "answer_id" in _header(p) else "item_id"
    rows = _read_csv(p, [item_col, "rater", "dimension", "grade"], digest, what="a ratings CSV",
                     hint=f"expected {RATINGS_COLUMNS}")
    cells: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for line, row in rows:
        grade = _number(row["grade"], str(p), line, "grade", hint=_GRADE_HINT)
        if grade is None:
            continue
        key = (row[item_col], row["rater"])
        if key in cells[row["dimension"]]:
            raise GraderError(f"line {line}: rater {key[1]!r} rated {key[0]!r} / {row['dimension']} twice", path=str(p))
        cells[row["dimension"]][key] = grade
    if not cells:
        raise GraderError("no ratings: every grade is empty or NA" if rows else "no ratings: only a header",
                          path=str(p))
    out = {}
    for dim in sorted(cells):
        items = sorted({i for i, _ in cells[dim]}, key=_natural)
        raters = sorted({r for _, r in cells[dim]}, key=_natural)
        out[dim] = (items, raters, [[cells[dim].get((i, r), math.nan) for r in raters] for i in items])
    return out, _ratings_scale(cells, machines, p)


def _ratings_scale(cells: dict[str, dict[tuple[str, str], float]], machines: Sequence[str], path: Path) -> Scale:
    """The scale the human grades span (every grade's when every rater is a machine)."""
    human = [g for d in cells.values() for (_, r), g in d.items() if r not in machines]
    grades, whose = (human, "human grade") if human else ([g for d in cells.values() for g in d.values()], "grade")
    scale = _inferred_scale(grades)
    if scale is None:
        raise GraderError(f"every {whose} is {grades[0]:g}: agreement needs two or more different {whose}s to "
                          "infer the scale", path=str(path))
    return scale


def _header(path: Path) -> list[str]:
    """The first line's fields (decoded as the CSV will be), to choose the item column."""
    try:
        text = decode(path.read_bytes(), str(path), "a ratings CSV")
    except OSError:
        return []  # _read_csv says why
    first = text.splitlines()[:1]
    return next(csv.reader(first), []) if first else []

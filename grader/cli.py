"""The command line: the only place that prints or exits. Heavy libraries are imported inside commands, so
`--help` costs only click.

Exit codes (contract): 0 all graded and none under --fail-under; 1 some answer under --fail-under; 2 a usage
error or some input that could not be graded (the others are still graded and reported).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

import click

from grader import __version__
from grader.config import Settings
from grader.errors import EXIT_ERROR, EXIT_OK, EXIT_UNDER_THRESHOLD, GraderError

DEFAULT_FORMATS = "json,md,html,csv"
# Kept equal to the registries' names by a test (importing the registries here would slow --help down).
KNOWN_FORMATS = ("json", "md", "html", "csv", "junit")
KNOWN_BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8", "hashing")
# Chosen by measurement (benchmarks/backend_agreement.py, benchmarks/PERFORMANCE.md): the fastest backend whose
# scores stay within 0.01 of torch's. Kept equal to grader.embed.DEFAULT_BACKEND by a test.
DEFAULT_BACKEND = "onnx"
KNOWN_ENGINES = ("local", "dask")


def _fail(message: str, command: str = "grade") -> None:
    click.echo(f"{command}: error: {message}", err=True)


def _cache_dir(explicit: str | None, no_cache: bool, settings: Settings) -> str | None:
    """--cache-dir, else the default under the settings' cache root; None with --no-cache."""
    if no_cache:
        return None
    return explicit or str(settings.cache_root)


def _run(command: str, body: Callable[[], int]) -> NoReturn:
    """Run a command's body and exit with its code. Bad input (GraderError): one line, exit 2. A bug: the
    traceback and exit 2, never 1 (which means "graded, under a threshold" / "gate failed"). Ctrl-C or SIGTERM:
    exit 130 (reports are written atomically, so nothing is left half-written)."""
    try:
        code = body()
    except GraderError as exc:
        _fail(str(exc), command)
        code = EXIT_ERROR
    except KeyboardInterrupt:
        _fail("interrupted; no report was left half-written", command)
        _exit_interrupted()
    except Exception:  # a bug, not bad input: keep the traceback, but never exit 1
        import traceback

        traceback.print_exc()
        _fail("internal error (the traceback above is a bug: please report it)", command)
        code = EXIT_ERROR
    sys.exit(code)


def _terminate_as_interrupt() -> None:
    """SIGTERM (a CI timeout, `kill`) ends a run the way Ctrl-C does: reports are written only after grading,
    each atomically, so nothing half-written is left."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


EXIT_INTERRUPTED = 130


def _exit_interrupted() -> None:
    """Exit 130 after an interrupt, always. A plain sys.exit(130) was not enough: once in CI the process printed
    our message and then died by SIGINT (exit -2). CPython re-kills itself with SIGINT after finalising when it
    has marked a KeyboardInterrupt as unhandled, which can happen when the interrupt passes through code run via
    the C API (our best explanation; not reproduced on a quiet machine). Reports were written atomically before
    this point, so skipping finalisation loses nothing."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _show_progress(quiet: bool) -> bool:
    """A progress bar only for a person at a terminal: not with --quiet, not when stderr is not a TTY, not in
    CI (which sets CI=true)."""
    return not quiet and sys.stderr.isatty() and not _in_ci()


def _parse_formats(value: str) -> list[str]:
    formats = [f.strip() for f in value.split(",") if f.strip()]
    bad = [f for f in formats if f not in KNOWN_FORMATS]
    if bad or not formats:
        raise click.BadParameter(f"unknown format {', '.join(bad) or '(none)'}; choose from "
                                 f"{', '.join(KNOWN_FORMATS)}")
    return list(dict.fromkeys(formats))


def _parse_dimension_thresholds(values: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for value in values:
        name, sep, number = value.partition("=")
        name = name.strip()
        try:
            limit = float(number) if sep and name else None
        except ValueError:
            limit = None
        if limit is None:
            raise click.BadParameter(f"{value!r} is not NAME=X with X a number")
        if name in out:
            raise click.BadParameter(f"dimension {name!r} given twice")
        out[name] = limit
    return out


@click.command("grade", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True)
@click.option("--rubric", "rubric_path", type=click.Path(dir_okay=False), default=None,
              help="Rubric YAML (default: the ml_system_design rubric shipped in the package).")
@click.option("--question", default=None, help="Question id for every answer (else front matter, else detected).")
@click.option("--out", "out_dir", default="reports", show_default=True, help="Output folder.")
@click.option("--format", "formats", default=DEFAULT_FORMATS, show_default=True,
              help=f"Comma-separated report formats: {', '.join(KNOWN_FORMATS)}.")
@click.option("--fail-under", type=float, default=None,
              help="Exit 1 when an answer's overall headline is under this: its grade (1-4) when calibrated, "
                   "else its raw score (0-1).")
@click.option("--fail-under-dimension", "fail_under_dimension", multiple=True, metavar="NAME=X",
              help="Exit 1 when an answer's headline on dimension NAME is under X (repeatable; scale as above).")
@click.option("--time-plan", default=None, help="Rubric time plan (default: the rubric's default).")
@click.option("--cache-dir", default=None, help="Embedding cache folder (default: ~/.cache/answer-grader).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the embedding cache.")
@click.option("--backend", type=click.Choice(KNOWN_BACKENDS), default=DEFAULT_BACKEND, show_default=True,
              help="Embedding backend: onnx (fp32, same scores as torch, starts fast), torch-bf16 (bf16 where the CPU "
                   "has it: faster on large batches, scores within 0.004), onnx-int8 (fastest, grades move), torch "
                   "(the reference); 'hashing' is a model-free word-overlap stand-in for tests.")
@click.option("--engine", type=click.Choice(KNOWN_ENGINES), default="local", show_default=True,
              help="Run in this process, or on a Dask cluster (pip install 'answer-grader[dask]').")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786); default: a local cluster.")
@click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True,
              help="Worker processes of the local Dask cluster.")
@click.option("--partition-size", type=click.IntRange(1, 100_000), default=200, show_default=True,
              help="Most answers per Dask task.")
@click.option("--calibration", "calibration_path", default="auto", show_default=True,
              help="auto: grades 1-4 from the shipped calibration (default rubric, onnx backend; else raw "
                   "scores); none: raw 0-1 scores; or a file from grader calibrate --model.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line.")
def grade_command(paths: tuple[str, ...], rubric_path: str | None, question: str | None, out_dir: str,
                  formats: str, fail_under: float | None, fail_under_dimension: tuple[str, ...],
                  time_plan: str | None, cache_dir: str | None, no_cache: bool, backend: str, engine: str,
                  scheduler: str | None, workers: int, partition_size: int, calibration_path: str | None,
                  quiet: bool) -> None:
    """Grade answers (files, folders or globs) and write reports into --out."""
    try:
        fmt_list = _parse_formats(formats)
    except click.BadParameter as exc:
        _fail(f"--format: {exc.message}")
        sys.exit(EXIT_ERROR)
    _terminate_as_interrupt()
    try:
        dim_limits = _parse_dimension_thresholds(fail_under_dimension)
    except click.BadParameter as exc:
        _fail(f"--fail-under-dimension: {exc.message}")
        sys.exit(EXIT_ERROR)
    settings = Settings.from_env()
    _run("grade", lambda: _grade(paths, rubric_path=rubric_path, question=question, out_dir=out_dir, formats=fmt_list,
                                 fail_under=fail_under, dim_limits=dim_limits, time_plan=time_plan,
                                 cache_dir=_cache_dir(cache_dir, no_cache, settings), backend=backend, quiet=quiet,
                                 engine=engine, scheduler=scheduler, workers=workers, partition_size=partition_size,
                                 calibration_path=calibration_path, settings=settings))


def _grade(paths, *, rubric_path, question, out_dir, formats, fail_under, dim_limits, time_plan, cache_dir,
           backend, quiet, engine, scheduler, workers, partition_size, calibration_path, settings) -> int:
    from grader.api import grade, write_reports
    from grader.models import RunConfig
    from grader.reports.thresholds import breaches, describe_thresholds, has_thresholds, headline

    progress = _show_progress(quiet)
    config = RunConfig(question=question, out_dir=out_dir, fail_under=fail_under,
                       fail_under_dimension=dim_limits, cache_dir=cache_dir, time_plan=time_plan, progress=progress)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(desc="grading", unit="answer", leave=False)

    def per_answer(items):
        bar.reset(total=len(items))
        for item in items:
            yield item
            bar.update(1)

    try:
        result = grade(paths, rubric=rubric_path, config=config, backend=backend, engine=engine,
                       calibration=calibration_path, settings=settings, scheduler=scheduler, workers=workers,
                       partition_size=partition_size, progress=per_answer if bar is not None else None,
                       on_partition_done=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    for warning in result.warnings:  # what a reader skipped in a file it still graded
        click.echo(f"grade: warning: {warning}", err=True)
    for failure in result.failures:  # before writing: an unwritable --out must not hide them
        _fail(failure.message)
    write_reports(result, formats, out_dir, config)
    under = [r for r in result.reports if breaches(r, config)]
    if not quiet:
        mean = sum(headline(r) for r in result.reports) / len(result.reports) if result.reports else 0.0
        line = (f"graded {len(result.reports)} answer(s), {len(result.failures)} not graded; "
                f"mean overall {mean:.2f}; {result.headline}")
        if has_thresholds(config):
            line += f"; {len(under)} under {describe_thresholds(config)}"
        click.echo(f"{line}; reports in {out_dir}", err=True)
    if result.failures:
        return EXIT_ERROR
    return EXIT_UNDER_THRESHOLD if under else EXIT_OK


@click.group("grader", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="answer-grader")
def main() -> None:
    """answer-grader: grade written or spoken answers to ML system design questions."""


main.add_command(grade_command)


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the report."""
    import json

    from grader.reports.json_report import report_schema

    click.echo(json.dumps(report_schema(), indent=2))


@main.group("rubric")
def rubric_group() -> None:
    """Rubric tools."""


@rubric_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def rubric_check(file: str) -> None:
    """Validate a rubric file and list every problem found; a valid one's detectors are listed, each with its
    description (what counts as the concept), then `FILE: ok`."""
    from grader.inputs.rubric import check_rubric

    rubric, problems = check_rubric(file)
    for p in problems:
        click.echo(f"{file}: {p}", err=True)
    if problems or rubric is None:
        sys.exit(EXIT_ERROR)
    if rubric.detectors:
        click.echo(f"detectors ({len(rubric.detectors)}):")
        for d in rubric.detectors:
            click.echo(f"  {d.id}: {d.description or '(no description)'}")
    click.echo(f"{file}: ok")


@main.command("calibrate")
@click.argument("dataset_dir", type=click.Path(file_okay=False))
@click.option("--cv", "folds", type=click.IntRange(2), default=10, show_default=True, help="Cross-validation folds.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the folds and models.")
@click.option("--group-by", type=click.Choice(["question", "none"]), default="none", show_default=True,
              help="question: unseen questions (a question's answers share a fold); none: unseen answers.")
@click.option("--predictions", "predictions_path", required=True, type=click.Path(dir_okay=False),
              help="Out-of-fold predictions CSV; the agreement figures go beside it (<stem>.agreement.json).")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="Also fit on every answer and save the calibration here (JSON), for grade --calibration.")
@click.option("--rubric", "rubric_path", type=click.Path(dir_okay=False), default=None,
              help="Rubric for an answer folder (default: the ml_system_design rubric shipped in the package).")
@click.option("--bootstrap", type=click.IntRange(0), default=1000, show_default=True,
              help="Bootstrap resamples for the 95% intervals (0: none).")
@click.option("--cache-dir", default=None, help="Embedding cache folder (default: ~/.cache/answer-grader).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the embedding cache.")
@click.option("--backend", type=click.Choice(KNOWN_BACKENDS), default=DEFAULT_BACKEND, show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No table on stdout.")
def calibrate_command(dataset_dir: str, folds: int, seed: int, group_by: str, predictions_path: str,
                      model_path: str | None, rubric_path: str | None, bootstrap: int, cache_dir: str | None,
                      no_cache: bool, backend: str, quiet: bool) -> None:
    """Fit raw scores to human grades with K-fold cross-validation and report the agreement.

    DATASET_DIR is a short-answer folder (questions.csv + answers.csv) or an answer folder (answers/*.md +
    grades.csv)."""
    settings = Settings.from_env()
    _run("grader calibrate", lambda: _calibrate(
        dataset_dir, folds=folds, seed=seed, group_by=group_by, predictions_path=predictions_path,
        model_path=model_path, rubric_path=rubric_path, bootstrap=bootstrap,
        cache_dir=_cache_dir(cache_dir, no_cache, settings), backend=backend, quiet=quiet, settings=settings))


def _calibrate(dataset_dir, *, folds, seed, group_by, predictions_path, model_path, rubric_path, bootstrap,
               cache_dir, backend, quiet, settings) -> int:
    import csv
    import io
    from pathlib import Path

    from grader.agreement.render import calibrate_text
    from grader.api import calibrate
    from grader.calibration.store import save_calibration
    from grader.files import atomic_write
    from grader.models import PredictionRow, to_json

    run = calibrate(dataset_dir, folds=folds, seed=seed, group_by=group_by, rubric=rubric_path,
                    fit_model=model_path is not None, bootstrap=bootstrap, backend=backend, cache_dir=cache_dir,
                    settings=settings, progress=_show_progress(quiet))
    out = Path(predictions_path)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(PredictionRow.model_fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.model_dump().items()} for r in run.predictions)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, buf.getvalue().encode())
        atomic_write(out.with_name(out.stem + ".agreement.json"), to_json(run.summary).encode())
        if run.calibration is not None:
            save_calibration(run.calibration, model_path)
    except OSError as exc:
        raise GraderError(f"cannot write: {exc.strerror or exc}", path=str(exc.filename or out)) from None
    if not quiet:
        click.echo(calibrate_text(run.summary), nl=False)
    return EXIT_OK


@main.command("agree")
@click.argument("ratings")  # checked by read_ratings, so that every error reads "grader agree: error: ..."
@click.option("--machine", "machines", multiple=True,
              help="A rater that is not human (repeatable): left out of the human consensus, gets PRMSE.")
@click.option("--fail-under", "fail_under", multiple=True, metavar="METRIC=X",
              help="Exit 1 when a machine's (else any rater's) agreement with the humans is worse than X "
                   "(repeatable; error metrics such as rmse fail when above X).")
@click.option("--out", "out_dir", default="reports", show_default=True,
              help="Writes agreement.json and agreement.html here.")
@click.option("--bootstrap", type=click.IntRange(0), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def agree_command(ratings: str, machines: tuple[str, ...], fail_under: tuple[str, ...], out_dir: str,
                  bootstrap: int, seed: int) -> None:
    """Agreement of every rater with the human consensus and with each other.

    RATINGS is long-form CSV: item_id,rater,dimension,grade (answer_id is accepted for item_id); an empty or NA
    grade means the rater did not rate the item."""
    _run("grader agree", lambda: _agree(ratings, machines=machines, fail_under=fail_under, out_dir=out_dir,
                                        bootstrap=bootstrap, seed=seed))


def _agree(ratings, *, machines, fail_under, out_dir, bootstrap, seed) -> int:
    from pathlib import Path

    from grader.agreement.render import agree_html, agree_text
    from grader.api import agree
    from grader.files import atomic_write, remove_stale_temps
    from grader.models import to_json

    result = agree(ratings, machines=machines, fail_under=fail_under, bootstrap=bootstrap, seed=seed)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(out)
        atomic_write(out / "agreement.json", to_json(result.report).encode())
        atomic_write(out / "agreement.html", agree_html(result.report).encode())
    except OSError as exc:
        raise GraderError(f"cannot write: {exc.strerror or exc}", path=str(out)) from None
    click.echo(agree_text(result.report), nl=False)
    return EXIT_UNDER_THRESHOLD if result.failures else EXIT_OK


def grade_main() -> None:
    """Entry point of the `grade` console script."""
    grade_command()

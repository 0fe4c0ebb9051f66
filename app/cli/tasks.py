"""Organizer commands of the CLI for tasks: create (a code task too), update, rescore."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click
from sqlalchemy import select

from app.cli import CliError, configured_db, main
from app.cli.actor import acting_as, cli_actor
from config import Settings
from core.models import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_DECIMALS,
    DEFAULT_FINAL_PICKS,
    DEFAULT_MEMORY_MB,
    DEFAULT_PUBLIC_FRACTION,
    DEFAULT_TIME_LIMIT_S,
    RunStatus,
)


class MetricChoice(click.Choice):
    """The installed metrics, listed when an option needs them: importing them loads
    scikit-learn, which every other command (``hackjudge submit`` first) can do without."""

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self) -> list[str]:  # type: ignore[override]
        from judge.metrics import available

        return available()

    @choices.setter
    def choices(self, _value: object) -> None:
        pass


def _db():  # noqa: ANN202
    return configured_db(Settings())


@main.group()
def task() -> None:
    """Tasks."""


@task.command("create")
@click.argument("event_slug")
@click.argument("slug")
@click.option("--metric", required=True, type=MetricChoice())
@click.option(
    "--truth", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--id-column", default="id", show_default=True)
@click.option("--target", default="target", show_default=True)
@click.option("--public-fraction", type=float, default=None)
@click.option("--usage-column")
@click.option("--daily-limit", type=int, default=DEFAULT_DAILY_LIMIT, show_default=True)
@click.option("--total-limit", type=int)
@click.option("--final-picks", type=int, default=DEFAULT_FINAL_PICKS, show_default=True)
@click.option("--title", default="")
@click.option("--max-file-mb", type=float)
@click.option("--decimals", type=int, default=DEFAULT_DECIMALS, show_default=True)
@click.option(
    "--rating-range",
    metavar="LOW..HIGH",
    help="qwk: the rating scale, e.g. 1..5 (default: the truth's lowest..highest).",
)
@click.option(
    "--kind",
    type=click.Choice(["predictions", "code"]),
    default="predictions",
    show_default=True,
    help="code: teams upload a program, run in the sandbox on the hidden --inputs.",
)
@click.option(
    "--inputs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The hidden inputs (the truth's ids with their features, no labels): what a code "
    "task's programs read, and a predictions task's winners' code is verified on.",
)
@click.option(
    "--sample-inputs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="code: public sample inputs (default: the inputs' first 10 rows).",
)
@click.option("--time-limit", type=int, default=DEFAULT_TIME_LIMIT_S, show_default=True)
@click.option("--memory", default=f"{DEFAULT_MEMORY_MB}M", show_default=True)
@acting_as
def task_create(
    event_slug: str,
    slug: str,
    rating_range: str | None,
    acting_as: str | None,
    kind: str,
    inputs: Path | None,
    sample_inputs: Path | None,
    time_limit: int,
    memory: str,
    **options: object,
) -> None:
    """Create a task from a hidden ground-truth CSV (the split is fixed now)."""
    from core.audit import audit
    from core.models import TaskKind
    from judge.prepare import parse_rating_range
    from organize.code_tasks import CodeSettings, parse_memory
    from organize.events import event_by_slug
    from organize.tasks import create_task, task_summary

    if kind == "code" and inputs is None:
        raise CliError("a code task needs --inputs: the hidden inputs its programs read")
    if options["public_fraction"] is not None and options["usage_column"]:
        raise CliError("give --public-fraction or --usage-column, not both")
    if options["public_fraction"] is None:
        options["public_fraction"] = DEFAULT_PUBLIC_FRACTION
    settings = Settings()
    try:
        with _db().begin() as session:
            actor = cli_actor(session, acting_as)
            target = event_by_slug(session, event_slug)
            code = (
                CodeSettings(
                    inputs, sample_inputs, time_limit, parse_memory(memory), TaskKind(kind)
                )
                if inputs is not None
                else None
            )
            created = create_task(
                session,
                target,
                slug,
                storage_dir=settings.storage_dir,
                rating_range=parse_rating_range(rating_range) if rating_range else None,
                code=code,
                **options,  # type: ignore[arg-type]
            )
            audit(session, target, actor, "task.create", slug, None, task_summary(created))
            summary = (
                f"created task {created.slug} ({created.metric}): {created.truth_rows} rows, "
                f"{created.public_rows} public / {created.truth_rows - created.public_rows} private"
                + _scale(created, declared=bool(rating_range))
                + _code(created)
            )
    except (ValueError, KeyError) as exc:
        raise CliError(_refusal(exc, options["truth"])) from None
    click.echo(summary)


def _code(task) -> str:  # noqa: ANN001
    """A code task's inputs and limits, as created."""
    if task.inputs_name and not task.is_code:
        return f"; winners' code verified on {task.inputs_name}"
    if not task.is_code:
        return ""
    return (
        f"; code: programs read /input/{task.inputs_name}, "
        f"{task.time_limit_s} s, {task.memory_mb} MB"
    )


def _scale(task, *, declared: bool) -> str:  # noqa: ANN001
    """The rating scale a qwk task publishes, and where it came from."""
    if task.rating_min is None:
        return ""
    origin = "" if declared else " (from the truth; declare --rating-range for a wider one)"
    return f"; ratings {task.rating_min}..{task.rating_max}{origin}"


def _refusal(exc: Exception, truth: Path | None) -> str:
    """The message, naming the ground-truth file when the problem is in it."""
    from judge.truth import TruthError

    message = str(exc).strip("'\"")
    return f"{truth}: {message}" if isinstance(exc, TruthError) and truth else message


def _task(session, event_slug: str, task_slug: str):  # noqa: ANN001, ANN202
    from core.models import Task
    from organize.events import event_by_slug

    target = event_by_slug(session, event_slug)
    found = session.scalars(
        select(Task).where(Task.event_id == target.id, Task.slug == task_slug)
    ).first()
    if found is None:
        raise ValueError(f"no task {task_slug!r} in {event_slug!r}")
    return found


@task.command("update")
@click.argument("event_slug")
@click.argument("slug")
@click.option("--truth", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--metric", type=MetricChoice())
@click.option("--rating-range", metavar="LOW..HIGH", help="qwk: a new rating scale, e.g. 1..5.")
@click.option(
    "--inputs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="New hidden inputs: a code task's programs read them; a predictions task's winners' "
    "code is verified on them.",
)
@acting_as
def task_update(
    event_slug: str,
    slug: str,
    truth: Path | None,
    metric: str | None,
    rating_range: str | None,
    inputs: Path | None,
    acting_as: str | None,
) -> None:
    """Replace the ground truth (same ids; the split is kept), the metric or the scale."""
    from core.audit import audit
    from judge.prepare import parse_rating_range
    from organize.tasks import set_inputs, task_summary, update_task

    if truth is None and metric is None and rating_range is None and inputs is None:
        raise CliError("give --truth, --metric, --rating-range and/or --inputs")
    if inputs is not None:
        if truth is not None or metric is not None or rating_range is not None:
            raise CliError("give --inputs on its own")
        try:
            with _db().begin() as session:
                actor = cli_actor(session, acting_as)
                found = _task(session, event_slug, slug)
                set_inputs(session, found, inputs, Settings().storage_dir)
                audit(session, found.event, actor, "task.inputs", slug, None, task_summary(found))
                summary = f"task {found.slug}" + _code(found)
        except (ValueError, KeyError) as exc:
            raise CliError(_refusal(exc, inputs)) from None
        click.echo(summary)
        return
    try:
        with _db().begin() as session:
            actor = cli_actor(session, acting_as)
            found = _task(session, event_slug, slug)
            before = task_summary(found)
            updated = update_task(
                session,
                found,
                storage_dir=Settings().storage_dir,
                truth=truth,
                metric=metric,
                rating_range=parse_rating_range(rating_range) if rating_range else None,
            )
            after = task_summary(updated)
            audit(session, updated.event, actor, "task.update", slug, before, after)
            summary = (
                f"task {updated.slug} now scores {updated.metric} on {updated.truth_sha256[:12]}"
                + _scale(updated, declared=True)
            )
    except (ValueError, KeyError) as exc:
        raise CliError(_refusal(exc, truth)) from None
    click.echo(summary + "; run `hackjudge rescore` to rescore its submissions")


@main.command()
@click.argument("event_slug")
@click.argument("task_slug")
@acting_as
def rescore(event_slug: str, task_slug: str, acting_as: str | None) -> None:
    """Rescore every submission of a task (old scores kept in history), with progress."""
    import time

    from core.audit import audit
    from core.models import RescoreRun, User
    from organize.tasks import start_rescore

    settings = Settings()
    db = _db()
    try:
        with db.begin() as session:
            actor = cli_actor(session, acting_as)
            found = _task(session, event_slug, task_slug)
            requester = actor.id if isinstance(actor, User) else None
            run = start_rescore(session, found, requester)
            audit(session, found.event, actor, "task.rescore", task_slug, None, {"run": run.id})
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if settings.production:
        from redis import Redis

        from judge.runner import RQDispatcher

        redis = Redis.from_url(settings.redis_url)
        RQDispatcher(redis, settings.queue_name, settings.job_timeout).enqueue_rescore(run.id)
        click.echo(f"rescore run {run.id} queued for the workers", err=True)
        shown = 0
        with click.progressbar(length=1, label="rescoring", file=sys.stderr) as bar:
            while True:
                with db.begin() as session:
                    row = session.get(RescoreRun, run.id)
                    status, done, total, changed, error = (
                        row.status,
                        row.done,
                        row.total,
                        row.changed,
                        row.error,
                    )
                if total and bar.length != total:
                    bar.length = total
                bar.update(done - shown)
                shown = done
                if status in (RunStatus.DONE, RunStatus.FAILED):
                    break
                time.sleep(0.5)
    else:
        from judge.jobs import JudgeContext, set_context
        from judge.rescore import rescore_task
        from scoreboard.publish import NoEmitter, Publisher

        set_context(
            JudgeContext(
                db=db, storage_dir=settings.storage_dir, publisher=Publisher(NoEmitter(), db)
            )
        )
        with click.progressbar(length=1, label="rescoring", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(1)

            try:
                status = rescore_task(run.id, progress)
            except BaseException:  # Ctrl-C or a crash: the run must not stay "running"
                from judge.rescore import mark_failed

                mark_failed(run.id, traceback.format_exc())
                raise
        with db.begin() as session:
            row = session.get(RescoreRun, run.id)
            done, total, changed, error = row.done, row.total, row.changed, row.error
    if status != RunStatus.DONE:
        last = error.strip().splitlines()[-1] if error.strip() else "see the worker's log"
        raise CliError(f"rescore run {run.id} failed: {last}")
    click.echo(f"rescored {done} of {total} submissions; {changed} changed score")

"""Tasks: their truth, metric, limits and rescoring."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_DECIMALS,
    DEFAULT_FINAL_PICKS,
    DEFAULT_MEMORY_MB,
    DEFAULT_PUBLIC_FRACTION,
    DEFAULT_TIME_LIMIT_S,
    RUN_BUSY,
    Event,
    RescoreRun,
    RunStatus,
    Task,
    TaskKind,
)
from judge.metrics import get_metric
from judge.prepare import PreparedTruth, RatingRange, prepare_truth
from judge.reader import read_table
from judge.truth import rating_range_of
from organize import SetupError
from organize.code_tasks import CodeSettings, make_code_task
from organize.events import check_slug
from scoreboard.boards import ensure_board_states


def task_summary(task: Task) -> dict[str, object]:
    """What the audit log records of a task's creation or update."""
    return {
        "metric": task.metric,
        "rows": task.truth_rows,
        "public_rows": task.public_rows,
        "truth_sha256": task.truth_sha256,
        "rating_range": rating_range_of(task),
    } | (
        {"kind": task.kind, "time_limit_s": task.time_limit_s, "memory_mb": task.memory_mb}
        if task.is_code
        else {}
    )


# A task's numbers: what makes sense (a 10,000-digit score is no score) and what the
# database's integer columns hold.
TASK_RANGES = {
    "daily_limit": (1, 100_000),
    "total_limit": (1, 1_000_000),
    "final_picks": (1, 100),
    "decimals": (0, 12),
}


def check_task_settings(**values: int | str | None) -> None:
    """A task's limits within ``TASK_RANGES``; its texts within their columns."""
    widths = {"title": Task.title, "id_column": Task.id_column, "target": Task.target_column}
    for name, value in values.items():
        if value is None:
            continue
        if name in widths:
            limit = widths[name].type.length
            if len(str(value)) > limit:
                raise SetupError(
                    "%(field)s holds at most %(limit)d characters.", field=name, limit=limit
                )
            continue
        low, high = TASK_RANGES[name]
        if not low <= int(value) <= high:
            raise SetupError(
                "%(field)s must be between %(low)d and %(high)d.", field=name, low=low, high=high
            )


def create_task(
    session: Session,
    event: Event,
    slug: str,
    *,
    metric: str,
    truth: Path,
    storage_dir: Path,
    id_column: str = "id",
    target: str = "target",
    public_fraction: float = DEFAULT_PUBLIC_FRACTION,
    usage_column: str | None = None,
    daily_limit: int | None = DEFAULT_DAILY_LIMIT,
    total_limit: int | None = None,
    final_picks: int = DEFAULT_FINAL_PICKS,
    title: str = "",
    max_file_mb: float | None = None,
    decimals: int = DEFAULT_DECIMALS,
    rating_range: RatingRange | None = None,
    code: CodeSettings | None = None,
) -> Task:
    """A task from its truth; with ``code``, a code task whose programs read hidden inputs."""
    check_slug(slug)
    get_metric(metric)
    check_task_settings(
        daily_limit=daily_limit,
        total_limit=total_limit,
        final_picks=final_picks,
        decimals=decimals,
        title=title,
        id_column=id_column,
        target=target,
    )
    if session.scalars(select(Task).where(Task.event_id == event.id, Task.slug == slug)).first():
        raise SetupError(
            "Task %(task)s already exists in %(event)s.", task=repr(slug), event=repr(event.slug)
        )
    prepared = prepare_truth(
        truth,
        storage_dir / "truth",
        id_column=id_column,
        target_column=target,
        metric=metric,
        public_fraction=public_fraction,
        usage_column=usage_column,
        rating_range=rating_range,
    )
    task = Task(
        event_id=event.id,
        slug=slug,
        title=title or slug,
        metric=metric,
        id_column=id_column,
        target_column=target,
        truth_path=str(prepared.path.resolve()),
        truth_sha256=prepared.sha256,
        truth_rows=prepared.rows,
        public_rows=prepared.public_rows,
        daily_limit=daily_limit,
        total_limit=total_limit,
        final_picks=final_picks,
        max_file_mb=max_file_mb,
        decimals=decimals,
    )
    _keep_scale(task, prepared)
    if code is not None:
        truth_ids = read_table(prepared.path.read_bytes(), prepared.path.name)[id_column]
        make_code_task(task, code, truth_ids, storage_dir)
    session.add(task)
    session.flush()
    ensure_board_states(session, event, task)
    return task


def update_task(
    session: Session,
    task: Task,
    *,
    storage_dir: Path,
    truth: Path | None = None,
    metric: str | None = None,
    rating_range: RatingRange | None = None,
) -> Task:
    """Replace a task's ground truth (same ids, same split), metric or rating scale; rescore
    after. A qwk task keeps its scale unless a new one is given."""
    metric = metric or task.metric
    get_metric(metric)
    source = truth or Path(task.truth_path)
    if rating_range is None and get_metric(metric).ordinal:
        rating_range = rating_range_of(task)
    prepared = prepare_truth(
        source,
        storage_dir / "truth",
        id_column=task.id_column,
        target_column=task.target_column,
        metric=metric,
        keep_split_of=Path(task.truth_path),
        rating_range=rating_range,
    )
    task.metric = metric
    task.truth_path = str(prepared.path.resolve())
    task.truth_sha256 = prepared.sha256
    _keep_scale(task, prepared)
    return task


def set_inputs(session: Session, task: Task, inputs: Path, storage_dir: Path) -> Task:
    """Give a task (new) hidden inputs: a code task's programs read them; a predictions task's
    winners' code is verified on them. The kind and limits stay."""
    settings = CodeSettings(
        inputs,
        None,
        task.time_limit_s or DEFAULT_TIME_LIMIT_S,
        task.memory_mb or DEFAULT_MEMORY_MB,
        TaskKind(task.kind),
    )
    truth_ids = read_table(Path(task.truth_path).read_bytes(), "truth.csv")[task.id_column]
    make_code_task(task, settings, truth_ids, storage_dir)
    return task


def _keep_scale(task: Task, prepared: PreparedTruth) -> None:
    """The classes and rating scale the scorer will use, kept for the upload check and rules."""
    task.classes = list(prepared.classes) or None
    task.rating_min, task.rating_max = prepared.rating_range or (None, None)


def start_rescore(session: Session, task: Task, user_id: int | None) -> RescoreRun:
    """A new rescore run for ``task``; refused while another one is under way."""
    busy = session.scalars(
        select(RescoreRun).where(RescoreRun.task_id == task.id, RescoreRun.status.in_(RUN_BUSY))
    ).first()
    if busy is not None:
        if busy.status == RunStatus.RUNNING:
            raise SetupError("Rescore run %(run)d of this task is still running.", run=busy.id)
        raise SetupError("Rescore run %(run)d of this task is still queued.", run=busy.id)
    run = RescoreRun(task_id=task.id, requested_by=user_id, status=RunStatus.QUEUED)
    session.add(run)
    session.flush()
    return run

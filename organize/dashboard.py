"""The organizer's dashboard (SPEC §7): throughput, queue, workers, stuck and failed
submissions, and rejudging."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import errors
from core.db import iso, utcnow
from core.errors import N_
from core.models import Event, Status, Submission, Task, Team
from judge import code_runs, heartbeat
from judge.standings import recount
from submissions.storage import free_bytes

WINDOW_MINUTES = 60
STUCK_AFTER = timedelta(minutes=5)
# After an upload is refused for want of space, the dashboard says so this long.
STORAGE_FULL_SHOWN = timedelta(hours=1)
log = logging.getLogger(__name__)
_storage_full_at: datetime | None = None  # this process's last refusal (embedded mode)


def _storage_full_key(runtime: Any) -> str:
    # Every web node of the deployment (its channel names it) shares the alert.
    return f"hackjudge:{runtime.settings.socketio_channel}:storage_full_at"


def note_storage_full(runtime: Any) -> None:
    """An upload was refused for want of space (507): alert the organizers' dashboards."""
    global _storage_full_at
    _storage_full_at = utcnow()
    log.error("submission storage %s is full: an upload was refused", runtime.settings.storage_dir)
    if runtime.redis is not None:
        with contextlib.suppress(Exception):  # Redis away too: this node still shows it
            runtime.redis.set(
                _storage_full_key(runtime),
                _storage_full_at.isoformat(),
                ex=int(STORAGE_FULL_SHOWN.total_seconds()),
            )


def _last_storage_full(runtime: Any, now: datetime) -> datetime | None:
    moments = [_storage_full_at]
    if runtime.redis is not None:
        with contextlib.suppress(Exception):
            stored = runtime.redis.get(_storage_full_key(runtime))
            moments.append(datetime.fromisoformat(stored.decode()) if stored else None)
    recent = [m for m in moments if m is not None and now - m < STORAGE_FULL_SHOWN]
    return max(recent, default=None)


def storage_health(runtime: Any, now: datetime) -> dict[str, Any]:
    """Free space of the submission storage, and an alert for staff when it runs low or an
    upload was refused as it was full (``message``, in the reader's language; empty if fine)."""
    try:
        free, total = free_bytes(runtime.settings.storage_dir)
    except OSError as exc:  # a shared storage that is not mounted, say
        message = errors.text(
            N_("The submission storage cannot be read: %(error)s"), error=exc.strerror or ""
        )
        return {
            "free_bytes": None,
            "total_bytes": None,
            "low": True,
            "full_at": None,
            "message": message,
        }
    low = free < runtime.settings.storage_alert_mb * 1e6
    full_at = _last_storage_full(runtime, now)
    free_mb = f"{free / 1e6:,.0f}"
    message = ""
    if full_at is not None:
        message = errors.text(
            N_(
                "Uploads were refused: the submission storage is full (%(free)s MB free). "
                "Free some space now."
            ),
            free=free_mb,
        )
    elif low:
        message = errors.text(
            N_("The submission storage is running low: %(free)s MB free."), free=free_mb
        )
    return {
        "free_bytes": free,
        "total_bytes": total,
        "low": low,
        "full_at": iso(full_at),
        "message": message,
    }


def per_minute(session: Session, event: Event, now: datetime) -> list[dict[str, Any]]:
    """Uploads per minute over the last hour, per task (zeros included)."""
    start = (now - timedelta(minutes=WINDOW_MINUTES - 1)).replace(second=0, microsecond=0)
    counts: dict[tuple[str, int], int] = {}
    rows = session.execute(
        select(Task.slug, Submission.created_at)
        .join(Task, Task.id == Submission.task_id)
        .where(Task.event_id == event.id, Submission.created_at >= start)
    )
    for slug, created in rows:
        minute = int((created - start).total_seconds() // 60)
        counts[(slug, minute)] = counts.get((slug, minute), 0) + 1
    return [
        {
            "task": task.slug,
            "minutes": [iso(start + timedelta(minutes=m)) for m in range(WINDOW_MINUTES)],
            "counts": [counts.get((task.slug, m), 0) for m in range(WINDOW_MINUTES)],
        }
        for task in event.tasks
    ]


def _sub_json(sub: Submission, task: Task, team: Team) -> dict[str, Any]:
    return {
        "id": sub.id,
        "task": task.slug,
        "team": team.name,
        "status": sub.status,
        "created_at": iso(sub.created_at),
        "started_at": iso(sub.started_at),
        "attempts": sub.attempts,
        "worker": sub.worker,
        "error": errors.stored_text(sub.error_detail, sub.error),
        "staff_error": sub.staff_error,
    }


def health(session: Session, event: Event, now: datetime, runtime: Any) -> dict[str, Any]:
    """Everything the dashboard shows, for staff only (it carries the workers' errors)."""
    by_status = dict(
        session.execute(
            select(Submission.status, func.count(Submission.id))
            .join(Task, Task.id == Submission.task_id)
            .where(Task.event_id == event.id)
            .group_by(Submission.status)
        ).all()
    )
    base = (
        select(Submission, Task, Team)
        .join(Task, Task.id == Submission.task_id)
        .join(Team, Team.id == Submission.team_id)
        .where(Task.event_id == event.id)
    )
    cutoff = now - STUCK_AFTER
    stuck = session.execute(
        base.where(
            ((Submission.status == Status.SCORING) & (Submission.started_at < cutoff))
            | ((Submission.status == Status.QUEUED) & (Submission.created_at < cutoff))
        ).order_by(Submission.id)
    ).all()
    failed = session.execute(
        base.where(Submission.status == Status.FAILED).order_by(Submission.id.desc()).limit(50)
    ).all()
    if runtime.redis is not None:
        workers = sum(1 for _ in runtime.redis.scan_iter(heartbeat.key("*")))
        queue = runtime.dispatcher.queue.count
        code_queue = runtime.dispatcher.code.count
    else:
        workers = runtime.settings.embedded_threads  # scoring threads of this process
        queue = by_status.get(Status.QUEUED, 0)
        code_queue = None
    # Programs (code tasks, winners' code verification): whether they can run at all.
    runs_code = any(t.is_code or t.inputs_path for t in event.tasks)
    return {
        "event": event.slug,
        "mode": "production" if runtime.redis is not None else "embedded",
        "workers_alive": workers,
        "queue_depth": queue,
        "by_status": {str(k): v for k, v in by_status.items()},
        "per_minute": per_minute(session, event, now),
        "stuck": [_sub_json(*row) for row in stuck],
        "failed": [_sub_json(*row) for row in failed],
        "storage": storage_health(runtime, now),
        "code_queue_depth": code_queue,
        "sandbox_refused": (
            code_runs.refusal(runtime.redis, runtime.settings.queue_name) if runs_code else None
        ),
    }


def reset_for_rejudge(session: Session, sub: Submission) -> None:
    """Back to the queue as new: the job scores it again (history keeps nothing: not scored).
    The team's standing follows: a failed file counts again, a scored one leaves the best."""
    sub.status = Status.QUEUED
    sub.attempts = 0
    sub.error = ""
    sub.error_detail = None
    sub.staff_error = ""
    sub.worker = ""
    sub.started_at = None
    sub.finished_at = None
    sub.output_path = None  # a code task's program runs again
    task = session.get(Task, sub.task_id)
    assert task is not None
    recount(session, task, sub.team_id)

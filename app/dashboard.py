"""The organizer's dashboard (SPEC §7): throughput, queue, workers, stuck and failed
submissions, and rejudging."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.messages import submission_error
from app.models import Event, Status, Submission, Task, Team
from judge import heartbeat
from scoreboard.boards import iso

WINDOW_MINUTES = 60
STUCK_AFTER = timedelta(minutes=5)


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
        "error": submission_error(sub),
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
    else:
        workers = runtime.settings.embedded_threads  # scoring threads of this process
        queue = by_status.get(Status.QUEUED, 0)
    return {
        "event": event.slug,
        "mode": "production" if runtime.redis is not None else "embedded",
        "workers_alive": workers,
        "queue_depth": queue,
        "by_status": {str(k): v for k, v in by_status.items()},
        "per_minute": per_minute(session, event, now),
        "stuck": [_sub_json(*row) for row in stuck],
        "failed": [_sub_json(*row) for row in failed],
    }


def reset_for_rejudge(sub: Submission) -> None:
    """Back to the queue as new: the job scores it again (history keeps nothing: not scored)."""
    sub.status = Status.QUEUED
    sub.attempts = 0
    sub.error = ""
    sub.error_detail = None
    sub.staff_error = ""
    sub.worker = ""
    sub.started_at = None
    sub.finished_at = None

"""Starting and reading winners' code verification (issue 16): which picks are verified (the
private board's top N of each predictions task), what each verdict says, in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from core.db import iso, utcnow
from core.errors import TranslatableError, stored_text
from core.models import (
    CheckStatus,
    CodeCheck,
    CodeRun,
    Event,
    RunStatus,
    Submission,
    Task,
    Team,
    User,
)
from judge.code_runs import lost_before
from review.reviews import private_rows

MAX_TOP = 1000


class VerificationError(TranslatableError):
    """A verification request refused; the message says why."""


def verified_tasks(event: Event) -> list[Task]:
    """The tasks whose winners' code can be verified: prediction tasks with hidden inputs (a
    code task's submissions are programs run on them already)."""
    return [t for t in event.tasks if not t.is_code and t.inputs_path]


@dataclass(frozen=True)
class Started:
    """What a start did: the checks it queued, which the caller dispatches after the commit,
    and every check of the top N (those with a standing verdict or on their way too)."""

    queued: list[CodeCheck]
    covered: list[int]


def start(session: Session, event: Event, actor: User | str | None, top: int) -> Started:
    """Queue the verification of the picks that rank the private boards' top ``top`` teams;
    the caller dispatches each queued check (``judge.verify.verify_pick``) after the commit."""
    if not 1 <= top <= MAX_TOP:
        raise VerificationError("top must be between 1 and %(max)d.", max=MAX_TOP)
    tasks = verified_tasks(event)
    if not tasks:
        raise VerificationError(
            "No task of this event can be verified: give a predictions task its hidden inputs "
            "first (hackjudge task update EVENT TASK --inputs FILE)."
        )
    checks: list[CodeCheck] = []
    covered: list[CodeCheck] = []
    now = utcnow()
    # One start at a time per event: two organizers (the console and the CLI) would otherwise
    # both insert the same pick's check.
    session.refresh(event, with_for_update=True)
    boards = private_rows(session, event)
    for task in tasks:
        for row in boards[task.slug][:top]:
            check = session.scalars(
                select(CodeCheck)
                .where(CodeCheck.submission_id == row.submission_id)
                .with_for_update()
            ).first()
            if check is None:
                check = CodeCheck(
                    submission_id=row.submission_id, task_id=task.id, team_id=row.team_id
                )
                session.add(check)
            covered.append(check)
            if check.status in (CheckStatus.REPRODUCED, CheckStatus.DIFFERS):
                continue  # verified: its verdict stands (a failed one is tried again)
            elif check.status == CheckStatus.RUNNING:
                if not _lost(session, task, check, now):
                    continue  # on its way
                _end_lost_run(session, check, now)
            # A queued check is queued again: its job may have been lost (Redis restarted, an
            # enqueue that failed); if it was not, whichever job comes second skips it.
            check.status = CheckStatus.QUEUED
            check.requested_by = actor.id if isinstance(actor, User) else None
            check.requested_at = now
            check.reproduced_score = check.rows = check.rows_differing = None
            check.max_difference = None
            check.message, check.message_detail, check.finished_at = "", None, None
            checks.append(check)
    session.flush()
    audit(
        session,
        event,
        actor,
        "verification.start",
        f"top {top}",
        None,
        {"checks": [c.id for c in checks]},
    )
    return Started(checks, [c.id for c in covered])


def _lost(session: Session, task: Task, check: CodeCheck, now: datetime) -> bool:
    """Has this running check's worker gone (its run outlived the time limit)?"""
    run = session.get(CodeRun, check.run_id) if check.run_id is not None else None
    started = run.started_at if run is not None and run.started_at else check.requested_at
    return started is None or started < lost_before(task, now)


def _end_lost_run(session: Session, check: CodeCheck, now: datetime) -> None:
    run = session.get(CodeRun, check.run_id) if check.run_id is not None else None
    if run is not None and run.status == RunStatus.RUNNING:
        run.status, run.finished_at = RunStatus.FAILED, now
        run.staff_error = "lost with its worker; the check was queued again"


def check_json(check: CodeCheck, task: Task, team: Team, sub: Submission) -> dict[str, Any]:
    """A verdict as staff read it (the API, the console, the review page, the exports)."""
    share = (
        check.rows_differing / check.rows
        if check.rows and check.rows_differing is not None
        else None
    )
    return {
        "id": check.id,
        "task": task.slug,
        "team_id": team.id,
        "team": team.name,
        "disqualified": team.disqualified,
        "submission": {"id": sub.id, "number": sub.number, "private_score": sub.private_score},
        "filename": check.filename,
        "attached_at": iso(check.attached_at),
        "status": check.status,
        "picked_score": check.picked_score,
        "reproduced_score": check.reproduced_score,
        "rows": check.rows,
        "rows_differing": check.rows_differing,
        "max_difference": check.max_difference,
        "share_differing": share,
        "message": stored_text(check.message_detail, check.message),
        "requested_at": iso(check.requested_at),
        "finished_at": iso(check.finished_at),
    }


def listing(session: Session, event: Event, team_id: int | None = None) -> list[dict[str, Any]]:
    """Every check of the event (or of one team), by task and team."""
    query = (
        select(CodeCheck, Task, Team, Submission)
        .join(Task, Task.id == CodeCheck.task_id)
        .join(Team, Team.id == CodeCheck.team_id)
        .join(Submission, Submission.id == CodeCheck.submission_id)
        .where(Task.event_id == event.id)
        .order_by(Task.id, Team.name, CodeCheck.id)
    )
    if team_id is not None:
        query = query.where(CodeCheck.team_id == team_id)
    return [check_json(c, t, team, s) for c, t, team, s in session.execute(query)]

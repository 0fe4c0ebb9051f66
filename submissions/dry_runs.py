"""A code task's dry run (issue 16): the team's program on the public sample inputs.

Not a submission: no quota, no board, no number; the team sees all of it, its program's output
too. One at a time per team and task, so the code queue is not theirs to fill: a new dry run
replaces the team's one still waiting (its job skips it), and waits for one running. A run
whose job was lost never locks the team out: a waiting one is replaced, and a running one
counts as lost once it has outlived the task's time limit (``judge.code_runs.lost_before``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import N_
from core.models import CodeRun, Event, RunPurpose, RunStatus, Task, User
from judge.code_runs import lost_before
from submissions.intake import IntakeError, check_file, check_open, check_submitter, stored_name
from submissions.locks import team_locked
from submissions.uploads import kept_unless_refused, store

BUSY = (RunStatus.QUEUED, RunStatus.RUNNING)
REPLACED = N_("Replaced by a newer dry run before it started.")
LOST = N_("The run was lost (its worker stopped); start it again.")


def _end_earlier(session: Session, task: Task, team_id: int, now: datetime) -> None:
    """End the team's dry run still waiting or lost, so the new one can go; 409 while one runs."""
    earlier = session.scalars(
        select(CodeRun)
        .where(
            CodeRun.team_id == team_id,
            CodeRun.task_id == task.id,
            CodeRun.purpose == RunPurpose.DRY_RUN,
            CodeRun.status.in_(BUSY),
        )
        .with_for_update()  # its job takes the row the same way: one of the two wins
    ).all()
    cutoff = lost_before(task, now)
    for run in earlier:
        if run.status == RunStatus.RUNNING and (run.started_at or now) > cutoff:
            raise IntakeError(
                409, "dry_run_busy", "Your team's dry run is still under way; wait for it."
            )
        message = REPLACED if run.status == RunStatus.QUEUED else LOST
        run.status, run.finished_at = RunStatus.FAILED, now
        run.message, run.message_detail = message, {"template": message, "params": {}}


def accept_dry_run(
    session: Session,
    *,
    user: User,
    event: Event,
    task: Task,
    stream: BinaryIO,
    filename: str,
    storage_dir: Path,
    max_bytes: int,
) -> CodeRun:
    """Check, store and commit a dry run; the caller dispatches its job."""
    if not task.is_code:
        raise IntakeError(400, "not_code_task", "Dry runs are for code tasks only.")
    team = check_submitter(session, user, event, None)
    check_open(event, utcnow())
    stored = store(stream, storage_dir, max_bytes)
    with kept_unless_refused(session, storage_dir, stored):
        check_file(task, stored, filename, storage_dir)
        with team_locked(session, team.id):
            _end_earlier(session, task, team.id, utcnow())
            run = CodeRun(
                task_id=task.id,
                team_id=team.id,
                user_id=user.id,
                purpose=RunPurpose.DRY_RUN,
                filename=stored_name(filename),
                bundle_path=stored.relative_path,
                status=RunStatus.QUEUED,
            )
            session.add(run)
            session.flush()
    return run

"""A code task's dry run (issue 16): the team's program on the public sample inputs.

Not a submission: no quota, no board, no number; the team sees all of it, its program's output
too. One at a time per team and task, so the code queue is not theirs to fill.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import CodeRun, Event, RunPurpose, RunStatus, Task, User
from submissions.intake import IntakeError, check_file, check_open, check_submitter, stored_name
from submissions.locks import team_locked
from submissions.uploads import kept_unless_refused, store

BUSY = (RunStatus.QUEUED, RunStatus.RUNNING)
MAX_BUSY = 1  # dry runs waiting or running, per team and task


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
            busy = session.scalar(
                select(func.count(CodeRun.id)).where(
                    CodeRun.team_id == team.id,
                    CodeRun.task_id == task.id,
                    CodeRun.purpose == RunPurpose.DRY_RUN,
                    CodeRun.status.in_(BUSY),
                )
            )
            if busy >= MAX_BUSY:
                raise IntakeError(
                    409, "dry_run_busy", "Your team's dry run is still under way; wait for it."
                )
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

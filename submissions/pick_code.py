"""A team attaches the code behind a final pick (issue 16: winners' code verification).

On a predictions task, until the event's code deadline (the end + 24 h unless the organizers
say otherwise), each final pick may carry the program that made it: a .py, a .zip with main.py
or a notebook, checked as a code task's upload is. Attaching again replaces it, until the
organizers verify it.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import CheckStatus, CodeCheck, Event, Status, Submission, Task, User
from submissions.intake import IntakeError, check_file, stored_name, team_of
from submissions.uploads import kept_unless_refused, store


def attach_code(
    session: Session,
    *,
    user: User,
    event: Event,
    task: Task,
    sub: Submission,
    stream: BinaryIO,
    filename: str,
    storage_dir: Path,
    max_bytes: int,
) -> CodeCheck:
    """Check, store and commit the code of ``sub`` (a final pick of the user's team)."""
    team = team_of(session, user, event)
    if team is None or team.id != sub.team_id:
        raise IntakeError(403, "other_team", "You can only submit for your own team.")
    if task.is_code:
        raise IntakeError(409, "code_task", "On a code task the submission is the program already.")
    if not sub.final or sub.status != Status.SCORED:
        raise IntakeError(409, "not_a_pick", "Code is attached to a final pick only.")
    if utcnow() >= event.code_deadline:
        raise IntakeError(409, "code_closed", "The deadline for attaching code has passed.")
    stored = store(stream, storage_dir, max_bytes)
    with kept_unless_refused(session, storage_dir, stored):
        check_file(task, stored, filename, storage_dir, program=True)
        check = session.scalars(
            select(CodeCheck).where(CodeCheck.submission_id == sub.id).with_for_update()
        ).first()  # locked as verification takes it: the verified code is the code it ran
        if check is None:
            check = CodeCheck(submission_id=sub.id, task_id=task.id, team_id=sub.team_id)
            session.add(check)
        elif check.bundle_path and check.status != CheckStatus.ATTACHED:
            # Once the organizers verify it, the code is the one they verified: replacing it
            # would wipe the verdict judges read. (A pick verified before any code came may
            # still get its code: its verdict said only that there was none.)
            raise IntakeError(
                409, "code_verified", "This pick's code is verified already; it stays as it is."
            )
        check.filename = stored_name(filename)
        check.bundle_path = stored.relative_path
        check.bundle_sha256 = stored.sha256
        check.attached_at, check.attached_by = utcnow(), user.id
        check.status = CheckStatus.ATTACHED
        check.reproduced_score = check.rows = check.rows_differing = None
        check.max_difference = None
        check.message, check.message_detail, check.finished_at = "", None, None
        session.commit()
    return check

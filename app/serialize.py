"""What each audience may see of a submission (SPEC §3 rule 6), and how each names it.

Staff name a submission by its global ``id``. Its team names it by ``public_id`` (opaque) and
sees ``number``, its place among the team's own uploads (1, 2, 3, …): the global id counts
every team's uploads, so during the freeze the jump between two of a team's ids told it how
many files the others had sent (issue 12). A team's reply, page, live push and command line
all carry the same two, and the API refuses global ids from teams: trying numbers until one
answers would find their own global ids again.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.messages import submission_error
from app.web.inputs import DB_INT_MAX
from core.db import iso
from core.models import Submission, Task, Team, staff_names, team_names

PUBLIC_ID = re.compile(r"[a-z2-7]{16}")  # core.models.new_public_id (never all digits)
GLOBAL_ID = re.compile(r"[0-9]{1,10}")


def find_submission(session: Session, ref: str, *, staff: bool) -> Submission | None:
    """The submission ``ref`` names for this reader: a public id, or for staff a global id.

    Whether the reader may see it (its own team's, a judge's conflicts) is the caller's check.
    """
    if PUBLIC_ID.fullmatch(ref):
        return session.scalars(select(Submission).where(Submission.public_id == ref)).first()
    if staff and GLOBAL_ID.fullmatch(ref) and int(ref) <= DB_INT_MAX:
        return session.get(Submission, int(ref))
    return None


def submission_json(sub: Submission, task: Task, team: Team, *, staff: bool) -> dict[str, Any]:
    """The owner sees the public score; only staff see private scores and platform errors."""
    data: dict[str, Any] = {
        **(staff_names(sub) if staff else team_names(sub)),
        "task": task.slug,
        "team": team.name,
        "filename": sub.filename,
        "size": sub.size,
        "sha256": sub.sha256,
        "note": sub.note,
        "created_at": iso(sub.created_at),
        "status": sub.status,
        "error": submission_error(sub),
        "public_score": sub.public_score,
        "public_ci": [sub.public_ci_low, sub.public_ci_high]
        if sub.public_ci_low is not None
        else None,
        "final": sub.final,
        "finished_at": iso(sub.finished_at),
    }
    if staff:
        data.update(
            private_score=sub.private_score,
            staff_error=sub.staff_error,
            attempts=sub.attempts,
            worker=sub.worker,
            scoring_ms=sub.scoring_ms,
        )
    return data

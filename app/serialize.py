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

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.messages import localize, submission_error
from app.web.inputs import DB_INT_MAX
from core.db import iso
from core.models import (
    CodeCheck,
    CodeRun,
    RunPurpose,
    RunStatus,
    Submission,
    Task,
    Team,
    staff_names,
    team_names,
)

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
    session = object_session(sub)
    if task.is_code and session is not None:
        run = session.scalars(select(CodeRun).where(CodeRun.submission_id == sub.id)).first()
        data["run"] = run_json(run, task, staff=staff) if run is not None else None
    elif sub.final and session is not None:
        # The code behind a final pick (winners' code verification): the team sees what it
        # attached; the verdict is the staff's.
        check = session.scalars(select(CodeCheck).where(CodeCheck.submission_id == sub.id)).first()
        data["code"] = (
            {"filename": check.filename, "attached_at": iso(check.attached_at)}
            | ({"verdict": check.status} if staff else {})
            if check is not None and check.bundle_path
            else None
        )
    return data


def run_json(run: CodeRun, task: Task, *, staff: bool) -> dict[str, Any]:
    """A program's run: how it ended, its time and memory for everyone who sees it; its output
    (``log``) for staff, and for the team only from a dry run on the public sample inputs: a
    program run on the hidden inputs can print them."""
    data: dict[str, Any] = {
        "id": run.public_id,
        "task": task.slug,
        "purpose": run.purpose,
        "filename": run.filename,
        "status": run.status,
        "outcome": run.outcome or None,
        "exit_code": run.exit_code,
        "signal": run.signal,
        "elapsed_s": run.elapsed_s,
        "cpu_s": run.cpu_s,
        "peak_memory_bytes": run.peak_memory_bytes,
        "message": localize(run.message_detail, run.message) if run.message else "",
        "created_at": iso(run.created_at),
        "finished_at": iso(run.finished_at),
    }
    if run.status == RunStatus.FAILED and not run.message:
        data["message"] = _("The run could not be carried out (a fault of ours); try again.")
    if staff or run.purpose == RunPurpose.DRY_RUN:
        data.update(log=run.log, log_truncated=run.log_truncated)
    if staff:
        data.update(staff_error=run.staff_error)
    return data

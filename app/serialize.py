"""What each audience may see of a submission (SPEC §3 rule 6)."""

from __future__ import annotations

from typing import Any

from app.messages import submission_error
from app.models import Submission, Task, Team
from scoreboard.boards import iso


def submission_json(sub: Submission, task: Task, team: Team, *, staff: bool) -> dict[str, Any]:
    """The owner sees the public score; only staff see private scores and platform errors."""
    data: dict[str, Any] = {
        "id": sub.id,
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

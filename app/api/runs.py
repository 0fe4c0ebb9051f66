"""A program's runs (issue 16): a dry run or a submission's hidden run, as its reader may see it."""

from __future__ import annotations

from flask import Response, abort, jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import bp, user_or_401
from app.lookup import session
from app.serialize import PUBLIC_ID, run_json
from core.errors import clip
from core.models import CodeRun, Event, Task, Team
from review import notes
from submissions.intake import team_of


@bp.get("/runs/<run_ref>")
def get_run(run_ref: str) -> Response:
    """One run: its team sees how it ended (and a dry run's output); staff see everything."""
    user = user_or_401()
    run = None
    if PUBLIC_ID.fullmatch(run_ref):
        run = session().scalars(select(CodeRun).where(CodeRun.public_id == run_ref)).first()
    task = session().get(Task, run.task_id) if run is not None else None
    visible = False
    if run is not None and task is not None:
        if user.is_staff:
            team = session().get(Team, run.team_id)
            visible = team is not None and notes.may_see_team(session(), user, team)
        else:
            mine = team_of(session(), user, session().get(Event, task.event_id))
            visible = mine is not None and mine.id == run.team_id
    if not visible or run is None or task is None:
        # 404 alike for a run that is not there and one that is not the reader's.
        abort(404, description=_("No run %(id)s.", id=clip(run_ref)))
    return jsonify(run_json(run, task, staff=user.is_staff))

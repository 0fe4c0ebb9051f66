"""Organizers' dashboard and rejudging."""

from __future__ import annotations

from flask import Response, abort, jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import bp
from app.lookup import event_or_404, session, task_or_404
from app.runtime import runtime
from app.security import user_with_role
from core.audit import audit
from core.db import utcnow
from core.models import Event, Role, Status, Submission, Task
from organize import dashboard


@bp.get("/events/<event_slug>/dashboard")
def health(event_slug: str) -> Response:
    """Staff: submissions per minute, queue depth, workers alive, stuck and failed rows."""
    user_with_role(Role.ORGANIZER, Role.JUDGE)
    event = event_or_404(event_slug)
    return jsonify(dashboard.health(session(), event, utcnow(), runtime()))


@bp.post("/submissions/<int:submission_id>/rejudge")
def rejudge(submission_id: int) -> Response:
    """Organizers: score one submission again."""
    user = user_with_role(Role.ORGANIZER)
    sub = session().get(Submission, submission_id)
    if sub is None:
        abort(404, description=_("No submission %(id)s.", id=submission_id))
    before = {"status": sub.status, "staff_error": sub.staff_error}
    dashboard.reset_for_rejudge(session(), sub)
    event = session().get(Event, session().get(Task, sub.task_id).event_id)
    audit(session(), event, user, "submission.rejudge", str(sub.id), before, {"status": "queued"})
    code = session().get(Task, sub.task_id).is_code
    session().commit()
    runtime().dispatcher.enqueue(sub.id, code=code)
    runtime().publisher.task_changed(sub.task_id)
    return jsonify({"id": sub.id, "status": sub.status})


@bp.post("/events/<event_slug>/tasks/<task_slug>/rejudge-failed")
def rejudge_failed(event_slug: str, task_slug: str) -> Response:
    """Organizers: score every failed submission of the task again."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    task = task_or_404(event, task_slug)
    subs = (
        session()
        .scalars(
            select(Submission).where(
                Submission.task_id == task.id, Submission.status == Status.FAILED
            )
        )
        .all()
    )
    for sub in subs:
        dashboard.reset_for_rejudge(session(), sub)
    audit(session(), event, user, "task.rejudge_failed", task.slug, None, [s.id for s in subs])
    session().commit()
    for sub in subs:
        runtime().dispatcher.enqueue(sub.id, code=task.is_code)
    runtime().publisher.task_changed(task.id)
    return jsonify({"rejudged": [s.id for s in subs]})

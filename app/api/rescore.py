"""Rescoring a task in the background, and its progress (organizers and staff)."""

from __future__ import annotations

from flask import Response, abort, jsonify
from flask_babel import gettext as _

from app.api import bp, error
from app.lookup import event_or_404, session, task_or_404
from app.runtime import runtime
from app.security import user_with_role
from core.audit import audit
from core.models import RescoreRun, Role
from organize.tasks import start_rescore


def _run_json(run: RescoreRun) -> dict:
    return {
        "id": run.id,
        "task_id": run.task_id,
        "status": run.status,
        "done": run.done,
        "total": run.total,
        "changed": run.changed,
        "error": run.error if run.error else "",
    }


@bp.post("/events/<event_slug>/tasks/<task_slug>/rescore")
def start_rescore_run(event_slug: str, task_slug: str) -> Response | tuple[Response, int]:
    """Organizers: rescore every submission of the task in the background."""
    user = user_with_role(Role.ORGANIZER, refusal=_("Only organizers can rescore."))
    task = task_or_404(event_or_404(event_slug), task_slug)
    try:
        run = start_rescore(session(), task, user.id)
    except ValueError as exc:
        return error(409, "busy", str(exc))
    audit(session(), task.event, user, "task.rescore", task.slug, None, {"run": run.id})
    session().commit()
    runtime().dispatcher.enqueue_rescore(run.id)
    return jsonify(_run_json(run)), 202


@bp.get("/rescore-runs/<int:run_id>")
def rescore_run(run_id: int) -> Response:
    """Staff: progress of a rescore run."""
    user_with_role(Role.ORGANIZER, Role.JUDGE, refusal=_("Staff only."))
    run = session().get(RescoreRun, run_id)
    if run is None:
        abort(404, description=_("No rescore run %(id)s.", id=run_id))
    return jsonify(_run_json(run))

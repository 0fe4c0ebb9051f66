"""Organizer endpoints for the hall: the reveal and announcements (SPEC §6, §7)."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import gettext as _

from app.api import bp, error
from app.api.validate import json_body
from app.lookup import event_or_404, session, task_from_args, task_or_404
from app.runtime import runtime
from app.security import user_with_role
from core.db import utcnow
from core.models import Role
from scoreboard import reveal
from scoreboard.ceremony import announce, recent_announcements, reveal_next


def _organizer() -> int:
    return user_with_role(Role.ORGANIZER, refusal=_("Only organizers can do this.")).id


@bp.get("/events/<event_slug>/reveal")
def reveal_state(event_slug: str) -> Response:
    """The reveal of a task as the projector shows it (public: only revealed teams' scores)."""
    event = event_or_404(event_slug)
    task = task_from_args(event)
    state = reveal.state(session(), event, task)
    if state is None:
        state = {"event": event.slug, "task": task.slug, "started": False, "finished": False}
    return jsonify(state)


@bp.post("/events/<event_slug>/reveal")
def reveal_step(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: start the reveal of a task, or reveal its next team (``all``: the rest)."""
    user_id = _organizer()
    event = event_or_404(event_slug)
    body = json_body()
    task_slug = body.get("task") or request.args.get("task")
    if task_slug:
        task_or_404(event, task_slug)
    try:
        step = reveal_next(
            session(), event, task_slug, utcnow(), user_id, to_end=bool(body.get("all"))
        )
    except reveal.RevealRefused as exc:
        session().rollback()
        return error(409, "reveal_refused", str(exc))
    session().commit()
    step.publish(runtime().publisher)
    return jsonify(step.message)


@bp.get("/events/<event_slug>/announcements")
def announcements(event_slug: str) -> Response:
    """The event's latest announcements, newest first."""
    event = event_or_404(event_slug)
    return jsonify({"announcements": recent_announcements(session(), event)})


@bp.post("/events/<event_slug>/announcements")
def create_announcement(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: push a message to every page and projector of the event."""
    user_id = _organizer()
    event = event_or_404(event_slug)
    body = json_body()
    try:
        item = announce(session(), event, str(body.get("message", "")), user_id, utcnow())
    except ValueError as exc:
        session().rollback()
        return error(400, "bad_announcement", str(exc))
    session().commit()
    runtime().publisher.announcement(event.slug, item)
    return jsonify(item), 201

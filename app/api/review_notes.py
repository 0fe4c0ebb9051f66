"""Judges' comments, flags and conflict declarations; organizers' manual assignment moves."""

from __future__ import annotations

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.review import _refused, _team
from app.api.validate import json_body
from app.lookup import event_or_404, session
from app.security import user_with_role
from core.models import Event, Role, Submission, Task
from review import notes, reviews


@bp.route("/events/<event_slug>/teams/<int:team_id>/comments", methods=["GET", "POST"])
def comments(event_slug: str, team_id: int) -> Response | tuple[Response, int]:
    """Judges comment on assigned teams; they read others' comments after the lock."""
    user = user_with_role(Role.ORGANIZER, Role.JUDGE)
    event = event_or_404(event_slug)
    team = _team(event, team_id)
    if request.method == "POST":
        if user.role != Role.JUDGE:
            abort(403, description=_("Judges comment; organizers read."))
        body = json_body()
        try:
            notes.add_comment(session(), event, user, team, str(body.get("text", "")))
        except reviews.ReviewError as exc:
            return _refused(exc)
        session().commit()
    elif user.role == Role.JUDGE and not reviews.assigned(session(), user, team):
        abort(403, description=_("You are not assigned to this team."))
    listed = notes.comments(session(), event, user, team)
    return jsonify({"comments": listed}), 201 if request.method == "POST" else 200


@bp.post("/submissions/<int:submission_id>/flags")
def flag(submission_id: int) -> Response | tuple[Response, int]:
    """Judges: flag a submission (leakage, late, cheating, other) with a note."""
    user = user_with_role(Role.JUDGE)
    sub = session().get(Submission, submission_id)
    if sub is None:
        abort(404, description=_("No submission %(id)s.", id=submission_id))
    event = session().get(Event, session().get(Task, sub.task_id).event_id)
    body = json_body()
    try:
        item = notes.add_flag(
            session(), event, user, sub, str(body.get("kind", "")), str(body.get("note", ""))
        )
    except reviews.ReviewError as exc:
        return _refused(exc)
    session().commit()
    return jsonify({"id": item.id, "kind": item.kind, "note": item.note}), 201


@bp.get("/events/<event_slug>/flags")
def flags(event_slug: str) -> Response:
    """Organizers: every flag judges raised, newest first."""
    user_with_role(Role.ORGANIZER)
    return jsonify({"flags": notes.flags(session(), event_or_404(event_slug))})


@bp.post("/events/<event_slug>/teams/<int:team_id>/conflict")
def conflict(event_slug: str, team_id: int) -> Response | tuple[Response, int]:
    """Judges: declare a conflict of interest; the assignment is withdrawn."""
    user = user_with_role(Role.JUDGE)
    event = event_or_404(event_slug)
    team = _team(event, team_id)
    body = json_body()
    try:
        notes.declare_conflict(session(), event, user, team, str(body.get("reason", "")))
    except reviews.ReviewError as exc:
        return _refused(exc)
    session().commit()
    return jsonify({"team": team.name, "conflict": True})


@bp.put("/events/<event_slug>/assignments/<int:team_id>")
def move(event_slug: str, team_id: int) -> Response | tuple[Response, int]:
    """Organizers: ``{"remove": judge_id, "add": judge_id}`` on one team (never a COI)."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    team = _team(event, team_id)
    body = json_body()
    remove, add = body.get("remove"), body.get("add")
    if any(v is not None and not isinstance(v, int) for v in (remove, add)):
        return _refused(reviews.ReviewError("remove and add must be judge ids.", 400))
    try:
        judges = reviews.move_assignment(session(), event, user, team, remove, add)
    except reviews.ReviewError as exc:
        return _refused(exc)
    session().commit()
    return jsonify({"team": team.name, "judges": judges})

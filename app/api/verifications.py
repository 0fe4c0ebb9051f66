"""Winners' code verification over HTTP (issue 16): a team attaches code to a final pick; the
organizers verify the top teams' picks and read the verdicts."""

from __future__ import annotations

import logging

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _

from app.api import MULTIPART_ROOM, bp, error, user_or_401
from app.api.submissions import _visible_submission, max_upload_bytes
from app.api.validate import json_body
from app.lookup import event_or_404, session
from app.runtime import runtime
from app.security import user_with_role
from app.serialize import find_submission
from core.models import Event, Role, Task
from review import notes, verifications
from submissions.intake import IntakeError
from submissions.pick_code import attach_code

log = logging.getLogger(__name__)


def apply_attach_limit(submission_ref: str) -> None:
    """Cap the request body at the pick's task's file limit, before anything reads it (the
    CSRF check and ``request.files`` would spool all of it to disk first)."""
    sub = find_submission(session(), submission_ref, staff=False)
    task = session().get(Task, sub.task_id) if sub is not None else None
    if task is not None:  # else the view answers 404 without reading the body
        request.max_content_length = max_upload_bytes(task) + MULTIPART_ROOM


@bp.post("/submissions/<submission_ref>/code")
def attach(submission_ref: str) -> Response | tuple[Response, int]:
    """A team attaches the code behind one of its final picks (multipart ``file``)."""
    sub, task, _team, _staff = _visible_submission(submission_ref)
    user = user_or_401()
    if user.role != Role.PARTICIPANT:
        return error(403, "forbidden", _("Only the team attaches its code."))
    upload = request.files.get("file")
    if upload is None:
        return error(400, "no_file", _("Send the file as multipart form field 'file'."))
    event = session().get(Event, task.event_id)
    try:
        check = attach_code(
            session(),
            user=user,
            event=event,
            task=task,
            sub=sub,
            stream=upload.stream,
            filename=upload.filename or "main.py",
            storage_dir=runtime().settings.storage_dir,
            max_bytes=max_upload_bytes(task),
        )
    except IntakeError as exc:
        session().rollback()
        return error(exc.status, exc.code, exc.message, exc.retry_after)
    return jsonify(
        {
            "submission": sub.public_id,
            "filename": check.filename,
            "sha256": check.bundle_sha256,
            "attached_at": check.attached_at.isoformat() if check.attached_at else None,
            "code_deadline": event.code_deadline.isoformat(),
        }
    ), 201


@bp.post("/events/<event_slug>/verifications")
def start(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: verify the code of the picks ranking the private boards' top N teams."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    body = json_body()
    try:
        started = verifications.start(session(), event, user, int(body.get("top", 3)))
    except verifications.VerificationError as exc:
        session().rollback()
        return error(409, "cannot_verify", str(exc))
    ids = [c.id for c in started.queued]
    session().commit()
    for check_id in ids:
        try:
            runtime().dispatcher.enqueue_verification(check_id)
        except Exception:
            log.exception("enqueue of verification %s failed", check_id)
            return error(503, "queue_unavailable", _("The run could not be queued; try again."), 5)
    return jsonify({"verifications": verifications.listing(session(), event)}), 202


@bp.get("/events/<event_slug>/verifications")
def listing(event_slug: str) -> Response:
    """Staff: every verdict of the event (a judge's conflicts left out)."""
    user = user_or_401()
    if not user.is_staff:
        abort(403, description=_("Staff only."))
    event = event_or_404(event_slug)
    unseen = notes.conflicted_teams(session(), user, event)
    rows = [r for r in verifications.listing(session(), event) if r["team_id"] not in unseen]
    return jsonify({"verifications": rows, "code_deadline": event.code_deadline.isoformat()})

"""Awards (issue 17): organizers define and give them; everyone reads them once the final
ranking is published (before that they would tell the order: staff only)."""

from __future__ import annotations

from flask import Response, abort, jsonify
from flask_babel import gettext as _

from app.api import bp, error, user_or_401
from app.api.validate import json_body
from app.lookup import event_or_404, session
from app.runtime import runtime
from app.security import user_with_role
from core.db import utcnow
from core.errors import N_
from core.models import Event, Role
from review import awards, results
from review.reviews import ReviewError

_BOTH = N_("Send by_rank, or a name (and a team_id), not both.")


def _refused(exc: ReviewError) -> tuple[Response, int]:
    session().rollback()
    return error(exc.status, "award_refused", str(exc)), exc.status


def _listing(event: Event) -> dict:
    return {
        "event": event.slug,
        "published": event.final_board is not None,
        "awards": awards.as_json(session(), event),
    }


def push(event: Event) -> None:
    """Projectors showing the published final board get its awards at once."""
    board = results.published(event)
    if board is not None:
        runtime().publisher.final(event.slug, awards.with_awards(session(), event, board))


@bp.get("/events/<event_slug>/awards")
def list_awards(event_slug: str) -> Response:
    """Staff always; everyone once the final ranking is published."""
    event = event_or_404(event_slug)
    body = _listing(event)
    if results.published(event) is None:
        user = user_or_401()
        if user.role not in (Role.ORGANIZER, Role.JUDGE):
            abort(403, description=_("The final ranking is not published yet."))
        return jsonify(body)
    body["awards"] = [a for a in body["awards"] if a["team"] is not None]  # given ones only
    return jsonify(body)


@bp.post("/events/<event_slug>/awards")
def post_awards(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: ``{"by_rank": [names]}`` gives names[i] to rank i+1 of the final ranking
    (replacing the last such giving); ``{"name", "team_id"}`` defines one by hand."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    body = json_body()
    try:
        if "by_rank" in body:
            if "name" in body or "team_id" in body:
                raise ReviewError(_BOTH, 400)
            awards.by_rank(session(), event, user, list(body["by_rank"]), utcnow())
        else:
            if "name" not in body:
                raise ReviewError(_BOTH, 400)
            awards.give(session(), event, user, body["name"], body.get("team_id"), utcnow())
    except ReviewError as exc:
        return _refused(exc)
    session().commit()
    push(event)
    return jsonify(_listing(event)), 201


@bp.delete("/events/<event_slug>/awards/<int:award_id>")
def delete_award(event_slug: str, award_id: int) -> Response | tuple[Response, int]:
    """Organizers: take an award back."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    try:
        awards.remove(session(), event, user, award_id)
    except ReviewError as exc:
        return _refused(exc)
    session().commit()
    push(event)
    return jsonify(_listing(event))

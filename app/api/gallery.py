"""The gallery of projects (issue 17): staff always; everyone once the final ranking is
published; before that a participant is refused (403) and the anonymous asked to sign in
(401), so no card, rank or award reaches them early."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api import bp, user_or_401
from app.api.projects import is_staff
from app.lookup import event_or_404, session
from core.models import Event, User
from review import gallery, notes


def gallery_reader(event: Event) -> User | None:
    """The reader of the event's gallery (None: anonymous, after publication); else 401/403."""
    if gallery.is_public(event):
        return current_user._get_current_object() if current_user.is_authenticated else None
    user = user_or_401()
    if not is_staff(user):
        abort(403, description=_("The gallery opens when the final ranking is published."))
    return user


def gallery_cards(event: Event, user: User | None) -> list[dict[str, Any]]:
    """The cards this reader sees, with their addresses (before publication a judge's
    conflicts of interest are left out, as everywhere in review)."""
    cards = gallery.cards(session(), event)
    if not gallery.is_public(event):
        unseen = notes.conflicted_teams(session(), user, event)
        cards = [c for c in cards if c["team_id"] not in unseen]
    for card in cards:
        where = {"event_slug": event.slug, "team_id": card["team_id"]}
        card["project_url"] = url_for("api.project", **where)
        card["page_url"] = url_for("gallery.project", **where)
        file_id = card.pop("thumbnail_file_id")
        card["thumbnail_url"] = (
            url_for("api.project_thumbnail", file_id=file_id, **where) if file_id else None
        )
    return cards


@bp.get("/events/<event_slug>/projects")
def projects_gallery(event_slug: str) -> Response:
    """The gallery: every titled project's card, by rank, with its awards."""
    event = event_or_404(event_slug)
    user = gallery_reader(event)
    return jsonify(
        {
            "event": event.slug,
            "published": gallery.is_public(event),
            "projects": gallery_cards(event, user),
        }
    )

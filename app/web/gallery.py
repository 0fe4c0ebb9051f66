"""The gallery pages (issue 17): the cards, and a page per project (``_project.html``, as the
judges and the team see it), with its rank and awards. Who reads them: ``app.api.gallery``."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from app.api.gallery import gallery_cards, gallery_reader
from app.api.projects import readable, reader_json
from app.lookup import event_or_404, session
from app.web.projects import with_video_frames
from review import awards, gallery

bp = Blueprint("gallery", __name__)


@bp.get("/events/<event_slug>/gallery")
def index(event_slug: str) -> str:
    event = event_or_404(event_slug)
    user = gallery_reader(event)
    return render_template(
        "gallery.html",
        event=event,
        cards=gallery_cards(event, user),
        published=gallery.is_public(event),
    )


@bp.get("/events/<event_slug>/gallery/<int:team_id>")
def project(event_slug: str, team_id: int) -> Response:
    event = event_or_404(event_slug)
    gallery_reader(event)
    user, event, team = readable(event_slug, team_id)
    shown = reader_json(user, event, team)
    page = render_template(
        "gallery_project.html",
        event=event,
        team=team,
        project=shown,
        rank=gallery.ranks(event).get(team.name),
        awards=awards.by_team(session(), event).get(team.id, []),
    )
    return with_video_frames(page, shown)

"""The organizer console's results forms (issue 17): awards, given by the final ranking or by
hand and taken back, and whether the final ranking requires a project.

Plain forms with Flask-WTF's CSRF token that work without script: each post changes one thing
through the same engine calls as the REST API, says how it went in a flash message and
redirects back to its section of the console (post, redirect, get: a reload sends nothing
twice).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.api.awards import push
from app.lookup import event_or_404, session
from app.security import user_with_role
from app.web.inputs import DB_INT_MAX
from core.audit import audit
from core.db import utcnow
from core.models import Event, Role, User
from organize.events import event_summary
from review import awards
from review.reviews import ReviewError

bp = Blueprint("console", __name__)


def _organizer(event_slug: str) -> tuple[User, Event]:
    user = user_with_role(Role.ORGANIZER, refusal=_("Organizers only."))
    return user, event_or_404(event_slug)


def _said(message: str, kind: str, section: str) -> None:
    """A flash message shown in ``section`` of the console (organize.html's ``flashes``)."""
    flash(message, f"{kind} {section}")


def _back(event: Event, section: str) -> Response:
    return redirect(url_for("pages.organize", event_slug=event.slug, _anchor=section))


def _award_change(event: Event, done: str, change: Callable[[], object]) -> Response:
    """Run ``change`` (an engine call); commit and push the awards, or say why not."""
    try:
        change()
    except ReviewError as exc:
        session().rollback()
        _said(str(exc), "error", "awards")
        return _back(event, "awards")
    session().commit()
    push(event)  # projectors showing the published final board
    _said(done, "ok", "awards")
    return _back(event, "awards")


@bp.post("/events/<event_slug>/organize/awards/by-rank")
@login_required
def awards_by_rank(event_slug: str) -> Response:
    """Give awards by the final ranking: "대상 1, 최우수상 2, 우수상 3"."""
    user, event = _organizer(event_slug)
    text = request.form.get("places", "")
    return _award_change(
        event,
        _("Awards given by the final ranking."),
        lambda: awards.by_rank(session(), event, user, awards.places(text), utcnow()),
    )


@bp.post("/events/<event_slug>/organize/awards")
@login_required
def give_award(event_slug: str) -> Response:
    """Give an award by hand (a special prize) to one team."""
    user, event = _organizer(event_slug)
    name = request.form.get("name", "")
    team_id = request.form.get("team_id", type=int)
    if team_id is None or not 0 < team_id <= DB_INT_MAX:
        _said(_("Choose the team that receives the award."), "error", "awards")
        return _back(event, "awards")
    return _award_change(
        event,
        _("Award given."),
        lambda: awards.give(session(), event, user, name, team_id, utcnow()),
    )


@bp.post("/events/<event_slug>/organize/awards/<int:award_id>/delete")
@login_required
def remove_award(event_slug: str, award_id: int) -> Response:
    """Take an award back."""
    user, event = _organizer(event_slug)
    return _award_change(
        event, _("Award removed."), lambda: awards.remove(session(), event, user, award_id)
    )


@bp.post("/events/<event_slug>/organize/require-project")
@login_required
def require_project(event_slug: str) -> Response:
    """Whether the final ranking leaves out teams with no project by the project deadline."""
    user, event = _organizer(event_slug)
    before = event_summary(event)
    event.require_project = request.form.get("require_project") == "1"
    audit(session(), event, user, "event.edit", event.slug, before, event_summary(event))
    session().commit()
    if event.require_project:
        _said(_("The final ranking now requires a project."), "ok", "projects-missing")
    else:
        _said(_("The final ranking no longer requires a project."), "ok", "projects-missing")
    return _back(event, "projects-missing")

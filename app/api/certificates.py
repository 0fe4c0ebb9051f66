"""Certificates (issue 17): a team's PDF, for its members once the final ranking is
published (awards tell the order) and for staff always; and the organizers' zip of every
project."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort
from flask_babel import gettext as _

from app.api import bp, download, user_or_401
from app.api.projects import is_staff, team_or_404
from app.lookup import event_or_404, session
from app.messages import request_locale
from core.offload import heavy
from review import certificates, notes, projects


@bp.get("/events/<event_slug>/certificates/<int:team_id>.pdf")
def certificate(event_slug: str, team_id: int) -> Response:
    """The team's certificates as one PDF: a page per award and member."""
    user = user_or_401()
    event = event_or_404(event_slug)
    team = team_or_404(event, team_id)
    if is_staff(user):
        if not notes.may_see_team(session(), user, team):
            abort(404, description=_("No team %(id)s in this event.", id=team_id))
    elif not projects.is_member(session(), user, team):
        abort(404, description=_("No team %(id)s in this event.", id=team_id))
    elif not certificates.may_download(event):
        abort(403, description=_("Certificates come with the final ranking's publication."))
    # Worded in the reader's language (``?lang=en``, the language cookie, a client's header).
    pages = certificates.of_team(session(), event, team, request_locale())
    session().commit()  # no transaction held while the PDF is drawn
    body = heavy.run(certificates.render, pages)  # CPU work, off the event loop
    return download(body, f"certificate-{team.id}.pdf", "application/pdf")


@bp.get("/events/<event_slug>/projects.zip")
def projects_archive(event_slug: str) -> Response:
    """Organizers: every project (as of the deadline) with its files, in one zip."""
    from app.runtime import runtime
    from app.security import user_with_role
    from core.models import Role
    from review import project_exports

    user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    entries = project_exports.archive_entries(session(), event)
    session().commit()  # no transaction held while the zip is written
    storage = Path(runtime().settings.storage_dir)
    body = heavy.run(project_exports.archive, entries, storage)  # off the event loop
    return download(body, f"{event.slug}-projects.zip", "application/zip")

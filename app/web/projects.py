"""The project pages (issue 17): a team edits its project in forms (Korean first, like every
page), and the project as readers see it (``_project.html``, also on the judge's team page).

The forms post here, not to the API: they work without script. Their CSRF check is made by
hand after the body's cap is set, since Flask-WTF's own check parses the whole form first.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api import MULTIPART_ROOM
from app.api.projects import file_uploads, project_json, upload_file
from app.extensions import csrf
from app.lookup import event_or_404, session
from app.web.headers import allow_frames
from core.models import Role
from review import project_files, projects
from review.project_text import EMBED_ORIGINS, MAX_DESCRIPTION, check_text
from review.reviews import ReviewError
from submissions.intake import team_of

bp = Blueprint("projects", __name__)
# The longest description, URL-encoded: a character is up to 4 UTF-8 bytes, each sent as %XX.
FORM_BYTES = MAX_DESCRIPTION * 4 * 3 + MULTIPART_ROOM


def _my_team(event_slug: str):  # noqa: ANN202 - (event, team)
    event = event_or_404(event_slug)
    if current_user.role != Role.PARTICIPANT:
        abort(403, description=_("Only the team's members edit its project."))
    team = team_of(session(), current_user, event)
    if team is None:
        abort(404, description=_("Join a team first."))
    return event, team


def _checked(limit: int) -> None:
    request.max_content_length = limit  # before anything reads the body
    csrf.protect()


def with_video_frames(page: str, project: dict) -> Response:
    """The page, allowed to frame the video players it embeds and nothing else."""
    response = Response(page, mimetype="text/html")
    if project.get("video_embed"):
        allow_frames(response, EMBED_ORIGINS)
    return response


@bp.get("/events/<event_slug>/project")
@login_required
def edit(event_slug: str) -> Response:
    """The team's project: as it stands, and the forms to change it."""
    event, team = _my_team(event_slug)
    project = project_json(event, team, staff=False)
    try:
        projects.may_edit(session(), current_user, event, team)
        editable = True
    except ReviewError:
        editable = False
    page = render_template(
        "project_edit.html",
        event=event,
        team=team,
        project=project,
        editable=editable,
        max_screenshots=project_files.MAX_SCREENSHOTS,
    )
    return with_video_frames(page, project)


@bp.post("/events/<event_slug>/project")
@csrf.exempt
@login_required
def save(event_slug: str) -> Response:
    _checked(FORM_BYTES)
    event, team = _my_team(event_slug)
    form = {k: request.form.get(k, "") for k in ("title", "summary", "description")}
    form |= {k: request.form.get(k, "") for k in ("repo_url", "video_url", "tags")}
    try:
        projects.may_edit(session(), current_user, event, team)
        text = check_text(form)
        projects.save_text(session(), user=current_user, event=event, team=team, text=text)
        flash(_("Saved."), "ok")
    except ReviewError as exc:
        session().rollback()
        flash(str(exc), "error")
    return redirect(url_for("projects.edit", event_slug=event.slug))


@bp.post("/events/<event_slug>/project/files")
@csrf.exempt
@login_required
@file_uploads
def add_file(event_slug: str) -> Response:
    _checked(project_files.MAX_SLIDES_BYTES + MULTIPART_ROOM)
    event, team = _my_team(event_slug)
    try:
        upload_file(current_user, event, team)
        flash(_("Added."), "ok")
    except ReviewError as exc:
        session().rollback()
        flash(str(exc), "error")
    return redirect(url_for("projects.edit", event_slug=event.slug))


@bp.post("/events/<event_slug>/project/files/<int:file_id>/delete")
@login_required
def remove_file(event_slug: str, file_id: int) -> Response:
    event, team = _my_team(event_slug)
    try:
        projects.remove_file(session(), user=current_user, event=event, team=team, file_id=file_id)
        flash(_("Removed."), "ok")
    except ReviewError as exc:
        session().rollback()
        flash(str(exc), "error")
    return redirect(url_for("projects.edit", event_slug=event.slug))

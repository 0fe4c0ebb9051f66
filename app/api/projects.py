"""A team's project (issue 17): its text, its files and their thumbnails.

The team's members edit their own project until the project deadline; staff read every
project (as of the deadline); other participants read none before the final ranking is
published, and are told it does not exist (404), the anonymous to sign in (401). Once it is
published every project and its files are public (the gallery, ``review.gallery``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.api import MULTIPART_ROOM, bp, error, user_or_401
from app.api.validate import json_body
from app.extensions import limiter
from app.lookup import event_or_404, session
from app.runtime import runtime
from app.web.inputs import display_filename
from core.models import Event, ProjectFile, ProjectFileKind, Role, Team, User
from core.offload import Pool
from review import gallery, project_files, projects
from review.project_text import check_text
from review.reviews import ReviewError

FILES_ENDPOINT = "api.upload_project_file"


def team_or_404(event: Event, team_id: int) -> Team:
    team = session().get(Team, team_id)
    if team is None or team.event_id != event.id:
        abort(404, description=_("No team %(id)s in this event.", id=team_id))
    return team


def readable(event_slug: str, team_id: int) -> tuple[User | None, Event, Team]:
    """The reader (None: anonymous), the event and a team whose project they may read: anyone
    once the final ranking is published (the gallery), else as ``projects.may_read``; else
    401 or 404."""
    event = event_or_404(event_slug)
    if gallery.is_public(event):
        team = team_or_404(event, team_id)
        if not team.hidden:
            return (
                (current_user._get_current_object() if current_user.is_authenticated else None),
                event,
                team,
            )
    user = user_or_401()
    team = team_or_404(event, team_id)
    if not projects.may_read(session(), user, team):
        abort(404, description=_("No team %(id)s in this event.", id=team_id))
    return user, event, team


def as_of_deadline(user: User | None, team: Team) -> bool:
    """Everyone but the team's own members reads the version as of the project deadline."""
    return gallery.reads_as_public(session(), user, team)


def _refused(exc: ReviewError) -> tuple[Response, int]:
    session().rollback()
    return error(exc.status, "project_refused", str(exc)), exc.status


def is_staff(user: User) -> bool:
    return user.role in (Role.ORGANIZER, Role.JUDGE)


def project_json(event: Event, team: Team, staff: bool, public: bool = False) -> dict[str, Any]:
    """The project as this reader sees it, with the addresses of its files; ``public``: as the
    gallery shows it (members by name only)."""
    view = projects.shown(session(), event, team, staff=staff)
    members = gallery.public_members(team) if public else projects.members_of(team)
    body = projects.as_json(view, team, event, members)
    for item in body["files"]:
        where = {"event_slug": event.slug, "team_id": team.id, "file_id": item["id"]}
        item["url"] = url_for("api.project_file_route", **where)
        item["thumbnail_url"] = url_for("api.project_thumbnail", **where)
    return body


def reader_json(user: User | None, event: Event, team: Team) -> dict[str, Any]:
    """The project for a reader ``readable`` let through."""
    public = user is None or not (is_staff(user) or projects.is_member(session(), user, team))
    return project_json(event, team, as_of_deadline(user, team), public)


# One rule per path, whatever its methods: with two rules on one path, an id past the
# database's integer fails the converter of one and answers 405 from the other, not 404.
@bp.route("/events/<event_slug>/teams/<int:team_id>/project", methods=["GET", "PUT"])
def project(event_slug: str, team_id: int) -> Response | tuple[Response, int]:
    """The team's project: its members see the last save, staff the version at the deadline;
    PUT, the team's members save the text (a new version)."""
    if request.method == "GET":
        user, event, team = readable(event_slug, team_id)
        return jsonify(reader_json(user, event, team))
    user = user_or_401()
    event = event_or_404(event_slug)
    team = team_or_404(event, team_id)
    try:
        projects.may_edit(session(), user, event, team)
        text = check_text(json_body())
        projects.save_text(session(), user=user, event=event, team=team, text=text)
    except ReviewError as exc:
        return _refused(exc)
    except IntegrityError:  # two first saves at once: the other made the project
        session().rollback()
        return error(409, "project_refused", _("Saved twice at once; save again.")), 409
    return jsonify(project_json(event, team, staff=False))


def _limit(kind: str) -> int:
    if kind == ProjectFileKind.SLIDES:
        return project_files.MAX_SLIDES_BYTES
    return project_files.MAX_SCREENSHOT_BYTES


@bp.before_app_request
def _cap_file_upload() -> None:
    # App-wide, so it runs before the API's own before_request, whose CSRF check reads the
    # multipart form of a browser's upload: the body is capped before anything parses it.
    if request.endpoint == FILES_ENDPOINT:
        request.max_content_length = project_files.MAX_SLIDES_BYTES + MULTIPART_ROOM


# Checking and re-encoding a file (pdftoppm, Pillow) in a pool of its own: a member's uploads
# never hold up the staff's exports and statistics in ``heavy``.
PREPARING = Pool("project-files", 1)


def _uploader() -> str:
    return f"project-files:user:{current_user.id}" if current_user.is_authenticated else "anon"


# One hourly budget per member for the API and the project page alike.
file_uploads = limiter.shared_limit(
    f"{project_files.FILE_UPLOADS_PER_HOUR}/hour",
    scope="project-files",
    key_func=_uploader,
    error_message=lambda: _(
        "At most %(count)d project files an hour; try again later.",
        count=project_files.FILE_UPLOADS_PER_HOUR,
    ),
)


def upload_file(user: User, event: Event, team: Team) -> ProjectFile:
    """Check, keep and add the request's ``file`` of ``kind``; a ReviewError if refused.
    The pages' form and the API share it."""
    projects.may_edit(session(), user, event, team)
    kind = request.form.get("kind", "")
    if kind not in (ProjectFileKind.SLIDES, ProjectFileKind.SCREENSHOT):
        raise ReviewError("Say kind=slides or kind=screenshot.", 400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ReviewError("Send the file as multipart form field 'file'.", 400)
    storage = Path(runtime().settings.storage_dir)
    session().commit()  # no transaction held while the file is checked
    received = project_files.receive(upload.stream, storage, _limit(kind))
    prepare = (
        project_files.prepare_slides
        if kind == ProjectFileKind.SLIDES
        else project_files.prepare_screenshot
    )
    prepared = PREPARING.run(prepare, received, storage)
    try:
        return projects.add_file(
            session(),
            user=user,
            event=event,
            team=team,
            kind=ProjectFileKind(kind),
            prepared=prepared,
            filename=display_filename(upload.filename) or "upload",
            # As kept (a screenshot is re-encoded): what a download gives and the cap counts.
            size=(storage / prepared.stored_path).stat().st_size,
            sha256=received.sha256,
        )
    except BaseException:
        project_files.discard(storage, prepared)
        raise


@bp.post("/events/<event_slug>/teams/<int:team_id>/project/files")
@file_uploads
def upload_project_file(event_slug: str, team_id: int) -> Response | tuple[Response, int]:
    """The team's members: add slides (a PDF, replacing any) or a screenshot (up to 6)."""
    user = user_or_401()
    event = event_or_404(event_slug)
    team = team_or_404(event, team_id)
    try:
        row = upload_file(user, event, team)
    except ReviewError as exc:
        return _refused(exc)
    body = project_json(event, team, staff=False)
    return jsonify({"file_id": row.id, "project": body}), 201


@bp.route(
    "/events/<event_slug>/teams/<int:team_id>/project/files/<int:file_id>",
    methods=["GET", "DELETE"],
)
def project_file_route(
    event_slug: str, team_id: int, file_id: int
) -> Response | tuple[Response, int]:
    """A project's file: download it (GET) or remove it (DELETE, the team's members)."""
    if request.method == "DELETE":
        return delete_project_file(event_slug, team_id, file_id)
    return project_file(event_slug, team_id, file_id)


def delete_project_file(
    event_slug: str, team_id: int, file_id: int
) -> Response | tuple[Response, int]:
    """The team's members: remove a file from the project (earlier versions keep it)."""
    user = user_or_401()
    event = event_or_404(event_slug)
    team = team_or_404(event, team_id)
    try:
        projects.remove_file(session(), user=user, event=event, team=team, file_id=file_id)
    except ReviewError as exc:
        return _refused(exc)
    return jsonify(project_json(event, team, staff=False))


def _shown_file(event_slug: str, team_id: int, file_id: int) -> ProjectFile:
    """A file of the version this reader sees, else 404."""
    user, event, team = readable(event_slug, team_id)
    view = projects.shown(session(), event, team, staff=as_of_deadline(user, team))
    found = next((f for f in (view.files if view else []) if f.id == file_id), None)
    if found is None:
        abort(404)
    return found


def project_file(event_slug: str, team_id: int, file_id: int) -> Response:
    """A project's file as kept (an image re-encoded); a PDF always as a download."""
    row = _shown_file(event_slug, team_id, file_id)
    path = Path(runtime().settings.storage_dir) / row.stored_path
    return send_file(
        path,
        mimetype=row.media_type,
        as_attachment=row.kind == ProjectFileKind.SLIDES,
        download_name=row.filename,
        max_age=0,
    )


@bp.get("/events/<event_slug>/teams/<int:team_id>/project/files/<int:file_id>/thumbnail")
def project_thumbnail(event_slug: str, team_id: int, file_id: int) -> Response:
    """A file's thumbnail (PNG): an image's reduced, a PDF's first page."""
    row = _shown_file(event_slug, team_id, file_id)
    path = Path(runtime().settings.storage_dir) / row.thumb_path
    return send_file(path, mimetype="image/png", max_age=0)

"""Teams' projects (issue 17): what a team built, beside its scores in review.

Each team has one project per event. Every save (its text, a file added or removed) is a new
version, so judges read the project as it stood at the event's project deadline; the team's
members edit it until then. Files are checked and kept by ``review.project_files``; the text
is checked and rendered by ``review.project_text``. The web decides who reads what
(``may_read``); this module only ever reads and writes rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import iso, utcnow
from core.models import (
    Event,
    Project,
    ProjectFile,
    ProjectFileKind,
    ProjectVersion,
    Role,
    Team,
    TeamMember,
    User,
)
from review.notes import may_see_team
from review.project_files import MAX_PROJECT_BYTES, MAX_SCREENSHOTS, Prepared
from review.project_text import ProjectText, render_markdown, video_embed
from review.reviews import ReviewError

# What the team page lists as still missing, in this order (keys; the web words them).
MISSING = ("title", "summary", "description", "slides", "screenshots", "repo_url", "video_url")


@dataclass(frozen=True)
class Shown:
    """A project as one reader sees it: the version and its files, in order."""

    project: Project
    version: ProjectVersion | None
    files: list[ProjectFile]


def is_member(session: Session, user: User, team: Team) -> bool:
    return (
        session.scalars(
            select(TeamMember.id).where(
                TeamMember.team_id == team.id, TeamMember.user_id == user.id
            )
        ).first()
        is not None
    )


def may_read(session: Session, user: User, team: Team) -> bool:
    """Staff read every project but those of a judge's conflicts of interest; a participant
    only their own team's. (Once the final ranking is published everyone reads every visible
    team's: ``review.gallery``.)"""
    if user.role in (Role.ORGANIZER, Role.JUDGE):
        return may_see_team(session, user, team)
    return is_member(session, user, team)


def may_edit(session: Session, user: User, event: Event, team: Team) -> None:
    """The team's members until the project deadline; refused with a ReviewError otherwise."""
    if user.role != Role.PARTICIPANT or not is_member(session, user, team):
        raise ReviewError("Only the team's members edit its project.", 403)
    if utcnow() >= event.project_deadline:
        raise ReviewError("The deadline for projects has passed.", 409)


def project_of(session: Session, team: Team, *, lock: bool = False) -> Project | None:
    query = select(Project).where(Project.team_id == team.id)
    return session.scalars(query.with_for_update() if lock else query).first()


def version_of(
    session: Session, project: Project, as_of: datetime | None = None
) -> ProjectVersion | None:
    """The last version saved (at or before ``as_of``, if given)."""
    query = select(ProjectVersion).where(ProjectVersion.project_id == project.id)
    if as_of is not None:
        query = query.where(ProjectVersion.saved_at <= as_of)
    return session.scalars(query.order_by(ProjectVersion.number.desc()).limit(1)).first()


def shown(session: Session, event: Event, team: Team, *, staff: bool) -> Shown | None:
    """The project as a reader sees it: staff as of the project deadline, the team the last
    save. None when the team has none."""
    project = project_of(session, team)
    if project is None:
        return None
    version = version_of(session, project, event.project_deadline if staff else None)
    ids = list(version.file_ids) if version is not None else []
    rows = {f.id: f for f in session.scalars(select(ProjectFile).where(ProjectFile.id.in_(ids)))}
    return Shown(project, version, [rows[i] for i in ids if i in rows])


def _new_version(
    session: Session, user: User, event: Event, team: Team
) -> tuple[Project, ProjectVersion]:
    """A new version copying the last one, under the project's row lock (so two saves at once
    number their versions one after the other)."""
    project = project_of(session, team, lock=True)
    if project is None:
        project = Project(event_id=event.id, team_id=team.id)
        session.add(project)
        session.flush()
        project = project_of(session, team, lock=True) or project
    last = version_of(session, project)
    number = (
        session.scalar(
            select(func.max(ProjectVersion.number)).where(ProjectVersion.project_id == project.id)
        )
        or 0
    ) + 1
    version = ProjectVersion(project_id=project.id, number=number, saved_by=user.id)
    if last is not None:
        for column in ("title", "summary", "description", "repo_url", "video_url"):
            setattr(version, column, getattr(last, column))
        version.tags, version.file_ids = list(last.tags), list(last.file_ids)
    else:
        version.tags, version.file_ids = [], []
    version.saved_at = utcnow()
    session.add(version)
    return project, version


def save_text(
    session: Session, *, user: User, event: Event, team: Team, text: ProjectText
) -> ProjectVersion:
    """The team's fields as a new version (files as they were); committed."""
    may_edit(session, user, event, team)
    _project, version = _new_version(session, user, event, team)
    version.title, version.summary, version.description = text.title, text.summary, text.description
    version.repo_url, version.video_url, version.tags = (
        text.repo_url,
        text.video_url,
        list(text.tags),
    )
    session.commit()
    return version


def add_file(
    session: Session,
    *,
    user: User,
    event: Event,
    team: Team,
    kind: ProjectFileKind,
    prepared: Prepared,
    filename: str,
    size: int,
    sha256: str,
) -> ProjectFile:
    """A checked file into a new version: slides replace the slides, screenshots add up to
    ``MAX_SCREENSHOTS``. Committed; a ReviewError (nothing written) otherwise."""
    may_edit(session, user, event, team)
    project, version = _new_version(session, user, event, team)
    kept = list(
        session.scalars(select(ProjectFile).where(ProjectFile.id.in_(list(version.file_ids))))
    )
    kept_bytes = session.scalar(
        select(func.coalesce(func.sum(ProjectFile.size), 0)).where(
            ProjectFile.project_id == project.id
        )
    )
    if kept_bytes + size > MAX_PROJECT_BYTES:
        session.rollback()
        raise ReviewError(
            "The project's files, earlier versions included, may take %(mb)s MB in all; "
            "this one does not fit.",
            409,
            mb=f"{MAX_PROJECT_BYTES / 1e6:g}",
        )
    shots = sum(f.kind == ProjectFileKind.SCREENSHOT for f in kept)
    if kind == ProjectFileKind.SCREENSHOT and shots >= MAX_SCREENSHOTS:
        session.rollback()
        raise ReviewError(
            "At most %(count)d screenshots; remove one first.", 409, count=MAX_SCREENSHOTS
        )
    row = ProjectFile(
        project_id=project.id,
        kind=kind.value,
        filename=filename,
        stored_path=prepared.stored_path,
        thumb_path=prepared.thumb_path,
        media_type=prepared.media_type,
        size=size,
        sha256=sha256,
        uploaded_by=user.id,
        uploaded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    others = [f.id for f in kept if not (kind == ProjectFileKind.SLIDES and f.kind == kind)]
    version.file_ids = [*[i for i in version.file_ids if i in others], row.id]
    session.commit()
    return row


def remove_file(
    session: Session, *, user: User, event: Event, team: Team, file_id: int
) -> ProjectVersion:
    """A new version without the file (kept on disk: earlier versions still name it)."""
    may_edit(session, user, event, team)
    _project, version = _new_version(session, user, event, team)
    if file_id not in version.file_ids:
        session.rollback()
        raise ReviewError("This file is not in the project.", 404)
    version.file_ids = [i for i in version.file_ids if i != file_id]
    session.commit()
    return version


def missing(view: Shown | None) -> list[str]:
    """What the project still lacks (``MISSING``'s keys), for the team page's checklist."""
    version = view.version if view is not None else None
    if version is None:
        return list(MISSING)
    kinds = {f.kind for f in view.files} if view is not None else set()
    have = {
        "title": bool(version.title),
        "summary": bool(version.summary),
        "description": bool(version.description.strip()),
        "slides": ProjectFileKind.SLIDES in kinds,
        "screenshots": ProjectFileKind.SCREENSHOT in kinds,
        "repo_url": bool(version.repo_url),
        "video_url": bool(version.video_url),
    }
    return [key for key in MISSING if not have[key]]


def as_json(view: Shown | None, team: Team, event: Event, members: list[str]) -> dict[str, Any]:
    """The project for the API and the pages (the web adds the files' addresses)."""
    version = view.version if view is not None else None
    return {
        "team_id": team.id,
        "team": team.name,
        "members": members,
        "version": version.number if version is not None else 0,
        "saved_at": iso(version.saved_at) if version is not None else None,
        "deadline": iso(event.project_deadline),
        "title": version.title if version is not None else "",
        "summary": version.summary if version is not None else "",
        "description": version.description if version is not None else "",
        "description_html": render_markdown(version.description) if version is not None else "",
        "repo_url": version.repo_url if version is not None else "",
        "video_url": version.video_url if version is not None else "",
        "video_embed": video_embed(version.video_url) if version is not None else None,
        "tags": list(version.tags) if version is not None else [],
        "files": [
            {
                "id": f.id,
                "kind": f.kind,
                "filename": f.filename,
                "size": f.size,
                "media_type": f.media_type,
            }
            for f in (view.files if view is not None else [])
        ],
        "missing": missing(view),
    }


def members_of(team: Team) -> list[str]:
    return [m.user.name or m.user.email for m in team.members]


def teams_without_project(session: Session, event: Event) -> list[Team]:
    """The event's visible teams with no project as of the project deadline: none saved by
    then, or its last version by then has no title. Listed on the organizer's console; left
    out of the final ranking when the event requires a project (``review.results``)."""
    last = (
        select(ProjectVersion.project_id, func.max(ProjectVersion.number).label("number"))
        .join(Project, Project.id == ProjectVersion.project_id)
        .where(Project.event_id == event.id, ProjectVersion.saved_at <= event.project_deadline)
        .group_by(ProjectVersion.project_id)
        .subquery()
    )
    titled = (
        select(Project.team_id)
        .join(last, last.c.project_id == Project.id)
        .join(
            ProjectVersion,
            (ProjectVersion.project_id == Project.id) & (ProjectVersion.number == last.c.number),
        )
        .where(ProjectVersion.title != "")
    )
    return list(
        session.scalars(
            select(Team)
            .where(Team.event_id == event.id, Team.hidden.is_(False), Team.id.not_in(titled))
            .order_by(Team.name)
        )
    )

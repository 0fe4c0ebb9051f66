"""The public gallery of projects (issue 17): once the final ranking is published every project
is public, as it stood at the project deadline, with its rank and awards; before that only
staff see it (a gallery ordered by rank, or with awards, would give the ranking away).

Rows only: who reads what is decided here (``is_public``) and by ``review.projects.may_read``,
the addresses of files by the web.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Event, ProjectFileKind, Team, User
from review import awards, projects, results


def is_public(event: Event) -> bool:
    """Projects, their files, ranks and awards are public once the final ranking is."""
    return results.published(event) is not None


def reads_as_public(session: Session, user: User | None, team: Team) -> bool:
    """Whether this reader sees the team's project as the public does (the version as of the
    deadline, members by name only); the team's own members see their last save."""
    return user is None or not projects.is_member(session, user, team)


def public_members(team: Team) -> list[str]:
    """Members as the public sees them: by name, never an e-mail address."""
    return [m.user.name for m in team.members if m.user.name]


def ranks(event: Event) -> dict[str, int]:
    """Team name → rank in the published final ranking (empty before publication: even
    staff's gallery does not show an order that is not public yet)."""
    board = results.published(event)
    return {r["team"]: r["rank"] for r in (board or {}).get("rows", []) if "rank" in r}


def cards(session: Session, event: Event) -> list[dict[str, Any]]:
    """The gallery's cards: every visible team with a titled project, by rank then name;
    ``thumbnail_file_id`` is the first screenshot's (else the slides'), or None."""
    ranked = ranks(event)
    given = awards.by_team(session, event)
    out = []
    teams = session.scalars(
        select(Team).where(Team.event_id == event.id, Team.hidden.is_(False)).order_by(Team.name)
    )
    for team in teams:
        view = projects.shown(session, event, team, staff=True)
        if view is None or view.version is None or not view.version.title:
            continue
        shots = [f for f in view.files if f.kind == ProjectFileKind.SCREENSHOT]
        cover = (shots or view.files or [None])[0]
        out.append(
            {
                "team_id": team.id,
                "team": team.name,
                "title": view.version.title,
                "summary": view.version.summary,
                "tags": list(view.version.tags),
                "rank": ranked.get(team.name),
                "awards": given.get(team.id, []),
                "thumbnail_file_id": cover.id if cover is not None else None,
            }
        )
    out.sort(key=lambda c: (c["rank"] is None, c["rank"] or 0, c["team"]))
    return out

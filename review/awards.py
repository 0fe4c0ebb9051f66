"""Awards (issue 17): the prizes organizers give, by the final ranking or by hand, shown on the
published final board, the projector's closing screen and the gallery.

Giving by the ranking reads the published final ranking (or, before publication, the locked
one organizers see), so it never gives away an order nobody may see yet: who sees awards is
decided by the web (staff always, everyone once the ranking is published).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.audit import audit
from core.db import iso
from core.models import Award, Event, Team, User
from review import results
from review.reviews import ReviewError

MAX_NAME = 100
MAX_BY_RANK = 50  # 대상 … 장려상: more places than any event gives


def awards_of(session: Session, event: Event) -> list[Award]:
    """The event's awards in the order they are listed (place, then as defined)."""
    return list(
        session.scalars(
            select(Award).where(Award.event_id == event.id).order_by(Award.place, Award.id)
        )
    )


def _name(text: str) -> str:
    name = " ".join(text.split())  # one line: it is printed on certificates and boards
    if not name or len(name) > MAX_NAME:
        raise ReviewError("An award's name is 1 to %(max)d characters.", 400, max=MAX_NAME)
    return name


def _team(session: Session, event: Event, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.event_id != event.id or team.hidden:
        raise ReviewError("No team %(id)s in this event.", 404, id=team_id)
    if team.disqualified:
        # Its award would reach the gallery and a certificate.
        raise ReviewError("%(team)s is disqualified: no award.", 409, team=team.name)
    return team


def _summary(award: Award, team: Team | None) -> dict[str, Any]:
    return {"name": award.name, "team": team.name if team is not None else None}


def give(
    session: Session,
    event: Event,
    actor: User | str,
    name: str,
    team_id: int | None,
    now: datetime,
) -> Award:
    """Define an award by hand, given to ``team_id`` (or to nobody yet); audited."""
    team = _team(session, event, team_id) if team_id is not None else None
    last = session.scalar(select(func.max(Award.place)).where(Award.event_id == event.id))
    award = Award(event_id=event.id, name=_name(name), place=(last or 0) + 1)
    if team is not None:
        award.team_id, award.given_at = team.id, now
        award.given_by = actor.id if isinstance(actor, User) else None
    session.add(award)
    session.flush()
    audit(session, event, actor, "award.give", award.name, None, _summary(award, team))
    return award


# "최우수상 2", "최우수상 2팀", "Runner-up 2 teams": an award and how many teams receive it.
_COUNTED = re.compile(r"(.+?)\s+(\d+)\s*(?:팀|teams?)?", re.IGNORECASE)


def places(text: str) -> list[str]:
    """The names for ranks 1, 2, … of "대상 1, 최우수상 2, 우수상 3" (awards separated by commas
    or lines, each with how many teams receive it, 1 when not said): 대상, 최우수상 twice,
    우수상 three times. What the console's form sends to ``by_rank``."""
    names: list[str] = []
    for item in re.split(r"[,\n]", text):
        item = " ".join(item.split())
        if not item:
            continue
        counted = _COUNTED.fullmatch(item)
        name, count = (counted[1], int(counted[2])) if counted else (item, 1)
        if not 1 <= count <= MAX_BY_RANK:
            raise ReviewError(
                "%(award)s: give it to 1 to %(max)d teams.", 400, award=name, max=MAX_BY_RANK
            )
        names += [_name(name)] * count
    if not names or len(names) > MAX_BY_RANK:
        raise ReviewError("Name 1 to %(max)d awards, the first for rank 1.", 400, max=MAX_BY_RANK)
    return names


def _ranked_rows(session: Session, event: Event, now: datetime) -> list[dict[str, Any]]:
    """The final ranking's rows: as published, else (organizers, after the lock, once no
    project can change it) as it would be published."""
    board = results.published(event)
    if board is not None:
        return list(board["rows"])
    if event.review_locked_at is None:
        raise ReviewError("Lock review before giving awards by the final ranking.")
    results.projects_settled(event, now)
    return list(results.final_standing(session, event)["rows"])


def by_rank(
    session: Session, event: Event, actor: User | str, names: list[str], now: datetime
) -> list[Award]:
    """``names[i]`` to the team(s) ranked ``i + 1`` in the final ranking; the awards given by
    the ranking before are replaced (giving again after a change is safe). Audited."""
    chosen = [_name(n) for n in names]
    if not chosen or len(chosen) > MAX_BY_RANK:
        raise ReviewError("Name 1 to %(max)d awards, the first for rank 1.", 400, max=MAX_BY_RANK)
    rows = _ranked_rows(session, event, now)
    teams = {
        t.name: t
        for t in session.scalars(
            select(Team).where(Team.event_id == event.id, Team.hidden.is_(False))
        )
    }
    before = [
        _summary(a, session.get(Team, a.team_id) if a.team_id else None)
        for a in awards_of(session, event)
        if a.rank is not None
    ]
    session.execute(delete(Award).where(Award.event_id == event.id, Award.rank.is_not(None)))
    given: list[Award] = []
    for row in rows:
        rank, team = row.get("rank"), teams.get(row["team"])
        if team is None or not isinstance(rank, int) or not 1 <= rank <= len(chosen):
            continue
        given.append(
            Award(
                event_id=event.id,
                name=chosen[rank - 1],
                place=rank - len(chosen) - 1,  # before the awards given by hand, in rank order
                rank=rank,
                team_id=team.id,
                given_by=actor.id if isinstance(actor, User) else None,
                given_at=now,
            )
        )
    session.add_all(given)
    session.flush()
    by_id = {t.id: t.name for t in teams.values()}
    after = [{"name": a.name, "team": by_id.get(a.team_id or 0)} for a in given]
    audit(session, event, actor, "award.by_rank", event.slug, before or None, after)
    return given


def remove(session: Session, event: Event, actor: User | str, award_id: int) -> None:
    """Take an award back (a mistake, a disqualification); audited."""
    award = session.get(Award, award_id)
    if award is None or award.event_id != event.id:
        raise ReviewError("No award %(id)s in this event.", 404, id=award_id)
    team = session.get(Team, award.team_id) if award.team_id else None
    session.delete(award)
    audit(session, event, actor, "award.remove", award.name, _summary(award, team), None)


def as_json(session: Session, event: Event) -> list[dict[str, Any]]:
    """The event's awards for the API and the pages: only those given to a visible team
    appear with one; defined but not given ones have ``team`` null."""
    names = {t.id: t for t in session.scalars(select(Team).where(Team.event_id == event.id))}
    out = []
    for a in awards_of(session, event):
        team = names.get(a.team_id) if a.team_id is not None else None
        if team is not None and team.hidden:
            team = None
        out.append(
            {
                "id": a.id,
                "name": a.name,
                "rank": a.rank,
                "team_id": team.id if team is not None else None,
                "team": team.name if team is not None else None,
                "given_at": iso(a.given_at) if team is not None else None,
            }
        )
    return out


def by_team(session: Session, event: Event) -> dict[int, list[str]]:
    """Team id → the names of its awards, in the listed order."""
    out: dict[int, list[str]] = {}
    for a in awards_of(session, event):
        if a.team_id is not None:
            out.setdefault(a.team_id, []).append(a.name)
    return out


def with_awards(session: Session, event: Event, board: dict[str, Any]) -> dict[str, Any]:
    """The final board with each row's ``awards`` (names; empty when none)."""
    ids = {t.name: t.id for t in session.scalars(select(Team).where(Team.event_id == event.id))}
    given = by_team(session, event)
    rows = [{**r, "awards": given.get(ids.get(r["team"], 0), [])} for r in board["rows"]]
    return {**board, "rows": rows}

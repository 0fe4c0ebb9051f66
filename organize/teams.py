"""Teams and their members, imported from the organizer's roster (CSV or XLSX)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import errors
from core.cells import spreadsheet_safe_token
from core.errors import N_
from core.models import Event, Role, Team, TeamMember, User
from judge.reader import read_table
from organize import SetupError
from organize.accounts import create_user

TEAM_COLUMNS = ["team", "affiliation", "name", "email"]


@dataclass
class Credential:
    team: str
    name: str
    email: str
    password: str
    invite_code: str


def read_team_file(path: Path) -> pd.DataFrame:
    """The roster as text: CSV (UTF-8 or CP949) or XLSX, columns team, affiliation, name, email."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(io.BytesIO(path.read_bytes()), dtype=str).fillna("")
        frame.columns = [str(c).strip().lower() for c in frame.columns]
    else:
        frame = read_table(path.read_bytes(), path.name)
        frame.columns = [c.lower() for c in frame.columns]
    missing = [c for c in TEAM_COLUMNS if c not in frame.columns]
    if missing:
        raise SetupError(
            "%(file)s: missing column(s) %(columns)s.", file=path.name, columns=", ".join(missing)
        )
    frame = frame[TEAM_COLUMNS].apply(lambda col: col.str.strip())
    if (frame["team"] == "").any() or (frame["email"] == "").any():
        raise SetupError("%(file)s: every row needs a team and an e-mail.", file=path.name)
    # What the columns hold (PostgreSQL refuses longer text and any NUL: a 500, not a message).
    widths = {"team": Team.name, "affiliation": Team.affiliation, "name": User.name}
    for column, width in {**widths, "email": User.email}.items():
        limit = width.type.length
        bad = frame[column].str.len().gt(limit) | frame[column].str.contains("\x00", regex=False)
        if bad.any():
            raise SetupError(
                "%(file)s, row %(row)d: %(column)s must be at most %(limit)d characters, "
                "without NUL.",
                file=path.name,
                row=int(bad.to_numpy().argmax()) + 2,  # the header is row 1
                column=column,
                limit=limit,
            )
    return frame


def import_teams(session: Session, event: Event, roster: pd.DataFrame) -> Iterator[Credential]:
    """Create teams and participant accounts; yields one credential per imported member."""
    teams = {t.name: t for t in session.scalars(select(Team).where(Team.event_id == event.id))}
    for row in roster.itertuples(index=False):
        team = teams.get(row.team)
        if team is None:
            team = Team(
                event_id=event.id,
                name=row.team,
                affiliation=row.affiliation,
                invite_code=spreadsheet_safe_token(6),  # goes out in a CSV
            )
            session.add(team)
            session.flush()
            teams[row.team] = team
        email = row.email.lower()
        user = session.scalars(select(User).where(User.email == email)).first()
        password = ""
        if user is None:
            user, password = create_user(
                session, email, Role.PARTICIPANT, name=row.name, affiliation=row.affiliation
            )
        member = session.scalars(
            select(TeamMember).where(TeamMember.user_id == user.id, TeamMember.event_id == event.id)
        ).first()
        if member is not None and member.team_id != team.id:
            raise SetupError(
                "%(email)s is already in another team of %(event)s.",
                email=email,
                event=repr(event.slug),
            )
        if member is None:
            session.add(TeamMember(event_id=event.id, team_id=team.id, user_id=user.id))
            session.flush()
        shown = password or errors.text(N_("(existing account)"))
        yield Credential(row.team, row.name, email, shown, team.invite_code)

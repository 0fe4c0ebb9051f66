"""One team's check-then-write, alone: the limit of final picks, an upload on SQLite.

A count followed by a write is a race: five concurrent picks each counted one pick and all
five were kept. Every rule that counts a team's rows before writing one runs inside
:func:`team_locked`, which holds the team's lock from before the count to after the commit
(an upload on PostgreSQL counts in its INSERT instead: ``submissions.intake``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from core.models import Team, TeamMember

# SQLite has no row locks; embedded mode is one process, whose requests take turns here.
_sqlite_team_lock = threading.Lock()

# Built once (SQLAlchemy memoizes a statement's cache key): every upload takes this lock.
# ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: the holders still take turns, but a teammate's
# upload on PostgreSQL, whose one statement counts it in the team's standing and then checks
# its team's row (the foreign key's ``FOR KEY SHARE``), is not held by it. A pick recounts that
# standing under the lock, so with ``FOR UPDATE`` each waited on the other (40P01).
_LOCK_TEAM = select(Team.id).where(Team.id == bindparam("team_id")).with_for_update(key_share=True)
_MEMBERS_TEAM = (
    select(Team)
    .join(TeamMember, TeamMember.team_id == Team.id)
    .where(TeamMember.user_id == bindparam("user_id"), TeamMember.event_id == bindparam("event_id"))
)
_LOCK_MEMBERS_TEAM = _MEMBERS_TEAM.with_for_update(of=Team, key_share=True)


@contextmanager
def _holding(session: Session, statement: Select[Any], params: dict[str, int]) -> Iterator[Any]:
    """Yield the first row ``statement`` reads, locked until the commit made after the block.

    PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` on the team's row, which every web node and worker
    respects until the commit; each later statement (READ COMMITTED) sees every write
    committed before the lock was granted. SQLite (which renders no ``FOR UPDATE``): a
    process-wide lock; its reads outside a write transaction see every commit, so the block's
    counts are current too. An exception leaves the transaction to the caller to roll back
    (the lock goes with it).
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    with _sqlite_team_lock if sqlite else nullcontext():
        yield session.scalars(statement, params).first()
        session.commit()  # inside the lock, so the next block counts this write


@contextmanager
def team_locked(session: Session, team_id: int) -> Iterator[None]:
    """Run the block as the only writer for ``team_id``, then commit (still holding the lock)."""
    with _holding(session, _LOCK_TEAM, {"team_id": team_id}):
        yield


def members_team(
    session: Session, user_id: int, event_id: int, *, fresh: bool = False
) -> Team | None:
    """The team ``user_id`` is a member of in ``event_id``, if any (not locked); ``fresh``: as
    the database has it now, even if the session holds the team already."""
    return session.scalars(
        _MEMBERS_TEAM,
        {"user_id": user_id, "event_id": event_id},
        execution_options={"populate_existing": fresh},
    ).first()


@contextmanager
def members_team_locked(session: Session, user_id: int, event_id: int) -> Iterator[Team | None]:
    """:func:`team_locked` for the team ``user_id`` is in (None: none, and nothing locked),
    found and locked by one statement: an upload's path (issue 14: a round trip fewer)."""
    with _holding(session, _LOCK_MEMBERS_TEAM, {"user_id": user_id, "event_id": event_id}) as team:
        yield team

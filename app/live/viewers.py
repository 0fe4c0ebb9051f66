"""Who holds each ``/live`` socket of this process, checked again while the socket stays open.

A socket is identified once, at connect (a token, or the session cookie). Its rooms then carry
every later push, so a revoked token, a sign-out everywhere, a role change or a conflict of
interest declared after connecting would otherwise keep the staff room's boards flowing. Every
``RECHECK_S`` each web process compares its signed-in sockets with the database (one query
for users, one for tokens, a conflict check per staff viewer in the staff room) and
disconnects those that no longer hold; a legitimate client reconnects and is identified
afresh. The check is per process, so a revocation made anywhere (another node, the CLI)
reaches every node's sockets within ``RECHECK_S``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.security import token_usable
from core.db import utcnow
from core.models import ApiToken, Event, User
from review import notes

RECHECK_S = 10.0
log = logging.getLogger(__name__)


@dataclass
class Viewer:
    """Who holds a socket, fixed at connect; a participant's team per event, read once."""

    user_id: int | None
    staff: bool
    role: str | None = None
    token_id: int | None = None  # signed in by this API token, else by the session cookie
    epoch: int | None = None  # the session epoch a cookie-signed socket was opened under
    teams: dict[int, int | None] = field(default_factory=dict)
    # event id -> whether this staff member may have the staff room's full boards: a judge
    # with a conflict of interest in the event may not (``notes.conflicted_teams``).
    full_boards: dict[int, bool] = field(default_factory=dict)
    # (event, task, board) -> the version this socket was last sent by a subscribe: within
    # one connection it is in the rooms and has every later push, so it needs no version twice.
    sent: dict[tuple[str, str | None, str], int] = field(default_factory=dict)

    @classmethod
    def of(cls, user: User, token: ApiToken | None = None) -> Viewer:
        if token is not None:
            return cls(user.id, user.is_staff, user.role, token_id=token.id)
        return cls(user.id, user.is_staff, user.role, epoch=user.session_epoch or 0)


# sid -> viewer; kept per process, like the connections themselves.
viewers: dict[str, Viewer] = {}


def stale(session: Session, held: dict[str, Viewer]) -> list[str]:
    """The sockets of ``held`` whose viewer no longer holds: gone, signed out everywhere,
    token revoked or expired, role changed, or a conflict declared in an event whose staff
    boards it receives."""
    signed = {sid: v for sid, v in held.items() if v.user_id is not None}
    if not signed:
        return []
    user_ids = {v.user_id for v in signed.values()}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    token_ids = {v.token_id for v in signed.values() if v.token_id is not None}
    tokens = (
        {t.id: t for t in session.scalars(select(ApiToken).where(ApiToken.id.in_(token_ids)))}
        if token_ids
        else {}
    )
    now = utcnow()

    def holds(viewer: Viewer) -> bool:
        user = users.get(viewer.user_id)  # type: ignore[arg-type]
        if user is None or user.role != viewer.role:
            return False
        if viewer.token_id is not None:
            token = tokens.get(viewer.token_id)
            if token is None or not token_usable(token, now):
                return False
        elif (user.session_epoch or 0) != viewer.epoch:
            return False
        return not _newly_conflicted(session, user, viewer.full_boards)

    return [sid for sid, viewer in signed.items() if not holds(viewer)]


def _newly_conflicted(session: Session, user: User, full_boards: dict[int, bool]) -> bool:
    for event_id in _granted(full_boards):
        event = session.get(Event, event_id)
        if event is None or notes.conflicted_teams(session, user, event):
            return True
    return False


def _granted(full_boards: dict[int, bool]) -> Iterable[int]:
    return [event_id for event_id, full in list(full_boards.items()) if full]

"""Boards from the database: which submissions each audience may see, versioned payloads."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from core.db import iso, utcnow
from core.models import COUNTED, BoardState, Event, Status, Submission, Task, Team
from judge.metrics import get_metric
from scoreboard.queries import Standings, board_rows
from scoreboard.ranking import Entry


class Board(StrEnum):
    PUBLIC = "public"
    STAFF = "staff"
    PRIVATE = "private"


STAFF_ONLY = {Board.STAFF, Board.PRIVATE}
# Statuses that count as an attempt on the board; platform faults never count (rule 3).


def load_entries(
    session: Session,
    task: Task,
    *,
    before: datetime | None,
    staff: bool,
    team_ids: list[int] | None = None,
) -> tuple[list[Entry], dict[int, Team]]:
    """Counted submissions of the task (of ``team_ids`` if given) as ranking entries."""
    query = (
        select(Submission, Team)
        .join(Team, Team.id == Submission.team_id)
        .where(Submission.task_id == task.id, Submission.status.in_(COUNTED))
    )
    if not staff:
        query = query.where(Team.hidden.is_(False), Team.disqualified.is_(False))
    if before is not None:
        query = query.where(Submission.created_at < before)
    if team_ids is not None:
        query = query.where(Submission.team_id.in_(team_ids))
    entries: list[Entry] = []
    teams: dict[int, Team] = {}
    for sub, team in session.execute(query):
        teams[team.id] = team
        entries.append(
            Entry(
                submission_id=sub.id,
                team_id=team.id,
                team=team.name,
                created_at=sub.created_at,
                public_score=sub.public_score,
                private_score=sub.private_score,
                final=sub.final,
                scored=sub.status == Status.SCORED,
            )
        )
    return entries, teams


def public_frozen(event: Event, task: Task, now: datetime) -> bool:
    """Whether non-staff see the task as of the freeze: it lasts until the reveal ends (rule 5)."""
    return event.is_frozen(now) and task.revealed_at is None


def compute_rows(
    session: Session,
    event: Event,
    task: Task,
    board: Board,
    now: datetime,
    standings: Standings | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """The rows of one board and whether it is frozen, as its audience may see them
    (``standings``: the task's, read once for all its boards)."""
    higher = get_metric(task.metric).higher_is_better
    frozen = board is Board.PUBLIC and public_frozen(event, task, now)
    rows, teams = board_rows(
        session,
        task,
        private=board is Board.PRIVATE,
        before=event.freeze_at if frozen else None,
        staff=board is Board.STAFF,
        higher_is_better=higher,
        ended=now >= event.end_at,
        standings=standings,
    )
    out = []
    for row in rows:
        item: dict[str, Any] = {
            "rank": row.rank,
            "team": row.team,
            "score": row.score,
            "submissions": row.submissions,
            "last_submission_at": iso(row.last_submission_at),
        }
        if board is Board.STAFF:
            team = teams[row.team_id]
            item.update(
                team_id=row.team_id,
                submission_id=row.submission_id,
                hidden=team.hidden,
                disqualified=team.disqualified,
            )
        out.append(item)
    return out, frozen


class Revealable(Protocol):
    """A task as far as who may see its boards goes (a ``Task`` row or a cached view of it)."""

    @property
    def revealed_at(self) -> datetime | None: ...


def staff_only(task: Revealable, board: Board) -> bool:
    """Whether only staff may see this board now: the private board opens at its reveal."""
    if board is Board.PRIVATE:
        return task.revealed_at is None
    return board in STAFF_ONLY


def _hash(event: Event, task: Task, board: Board, rows: list[dict[str, Any]], frozen: bool) -> str:
    """What a board's audience sees: a change of any of it is a new version to push."""
    # The deadlines count (projectors count down to them); so does a private board opening
    # to everyone at its reveal, though its rows stay the same.
    seen: list[Any] = [rows, frozen, iso(event.freeze_at), iso(event.end_at)]
    if board is Board.PRIVATE and not staff_only(task, board):
        seen.append("opened")
    return hashlib.sha256(json.dumps(seen, sort_keys=True, default=str).encode()).hexdigest()


def payload(event: Event, task: Task, board: Board, version: int, rows: list, frozen: bool) -> dict:
    return {
        "event": event.slug,
        "task": task.slug,
        "board": str(board),
        "version": version,
        "frozen": frozen,
        "freeze_at": iso(event.freeze_at),
        "end_at": iso(event.end_at),
        "decimals": task.decimals,
        "higher_is_better": get_metric(task.metric).higher_is_better,
        "rows": rows,
    }


def ensure_board_states(session: Session, event: Event, task: Task) -> None:
    """Create the version counters of a new task's boards."""
    for board in Board:
        # Version 0 is the empty, unfrozen board: the first refresh bumps only on a change.
        session.add(
            BoardState(
                task_id=task.id,
                board=str(board),
                version=0,
                rows_hash=_hash(event, task, board, [], False),
            )
        )


def current_board(session: Session, event: Event, task: Task, board: Board) -> dict[str, Any]:
    """The board as its audience sees it now, with the last published version (read only)."""
    rows, frozen = compute_rows(session, event, task, board, utcnow())
    state = session.get(BoardState, (task.id, str(board)))
    return payload(event, task, board, state.version if state else 0, rows, frozen)


def refresh_board(
    session: Session, event: Event, task: Task, board: Board
) -> tuple[dict[str, Any], bool]:
    """Recompute a board; bump its version if anything visible changed. Caller commits."""
    # Lock the counter row first so concurrent workers serialise per board.
    state = session.scalars(
        select(BoardState)
        .where(BoardState.task_id == task.id, BoardState.board == str(board))
        .with_for_update()
    ).one()
    return _refreshed(session, event, task, board, state, utcnow(), None)


# Every refresh locks a task's counters in this order (``Board``'s), so two never deadlock.
_LOCK_ORDER = case({str(board): i for i, board in enumerate(Board)}, value=BoardState.board)


Refreshed = list[tuple[Board, dict[str, Any], bool]]


def refresh_boards(session: Session, event: Event, task: Task) -> Refreshed:
    """``refresh_board`` for each board of the task, in two reads: the three counters locked
    by one statement, the standings read once (seven statements before; a rush refreshes a
    task several times a second: issue 14). Caller commits."""
    states = session.scalars(
        select(BoardState)
        .where(BoardState.task_id == task.id)
        .order_by(_LOCK_ORDER)
        .with_for_update()
    )
    return _refresh_all(session, event, task, {state.board: state for state in states})


def refresh_task(session: Session, task_id: int) -> tuple[Event, Task, Refreshed] | None:
    """``refresh_boards`` of the task ``task_id`` (None: no such task, or one without board
    counters, which a migration gives every task), its task and event
    read by the statement that locks its counters: they were a read of their own, a round
    trip more each refresh (issue 14). Caller commits."""
    found = session.execute(
        select(BoardState, Task, Event)
        .join(Task, Task.id == BoardState.task_id)
        .join(Event, Event.id == Task.event_id)
        .where(BoardState.task_id == task_id)
        .order_by(_LOCK_ORDER)
        .with_for_update(of=BoardState)
    ).all()
    if not found:
        return None
    _state, task, event = found[0]
    states = {state.board: state for state, _task, _event in found}
    return event, task, _refresh_all(session, event, task, states)


def _refresh_all(
    session: Session, event: Event, task: Task, states: dict[str, BoardState]
) -> Refreshed:
    standings = Standings(session, task)
    now = utcnow()
    refreshed = []
    for board in Board:
        data, changed = _refreshed(session, event, task, board, states[str(board)], now, standings)
        refreshed.append((board, data, changed))
    return refreshed


def _refreshed(
    session: Session,
    event: Event,
    task: Task,
    board: Board,
    state: BoardState,
    now: datetime,
    standings: Standings | None,
) -> tuple[dict[str, Any], bool]:
    rows, frozen = compute_rows(session, event, task, board, now, standings)
    digest = _hash(event, task, board, rows, frozen)
    changed = digest != state.rows_hash
    if changed:
        state.version += 1
        state.rows_hash = digest
    return payload(event, task, board, state.version, rows, frozen), changed

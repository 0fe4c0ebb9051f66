"""What a ``subscribe`` reads: each board as last published, and the events, per web process.

A subscribe used to open a transaction and recompute every board of the event; 4 sockets
sending 26,000 of them in 15 s took the public board from 15 ms to 15 s (issue 12). Now:

- the boards are the payloads as published (``published`` is fed by the Socket.IO manager
  with every ``leaderboard`` message this process delivers, whoever emitted it: a worker
  through Redis, this node's clock or API), so they carry exactly the published version, and
  the freeze and staff-only rules were applied when they were made;
- a board never published here (a node just started) is computed on the first ask, once:
  concurrent asks wait for that one computation (single flight per event);
- the events (slugs, tasks, reveals, the published final ranking) are one small query at
  most once per ``catalogue_seconds``, whatever the number of subscribes;
- in case a push never arrived (Redis dropped this node's subscriber for a moment), the
  published versions are compared with the database's at most once per ``verify_seconds``
  per event, and an outdated board is computed again, once.

A board computed here reads "now" (``current_board``): during a freeze its public rows stop
at the freeze like every other public view, and a payload computed or published before a
freeze holds only submissions made before it, so serving it a little later leaks nothing.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import Database
from core.models import BoardState, Event, Task
from scoreboard.boards import Board, current_board
from scoreboard.publish import wire_size

CATALOGUE_S = 1.0  # a new event, a reveal's end or a final ranking shows within this
VERIFY_S = 5.0  # a lost push is noticed within this, by a query per event (not per call)
BOARDS = {str(board) for board in Board}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskView:
    id: int
    slug: str
    revealed_at: datetime | None  # the private board opens to everyone at its reveal's end


@dataclass(frozen=True)
class EventView:
    id: int
    slug: str
    tasks: tuple[TaskView, ...]
    final: dict[str, Any] | None  # the final ranking as last published


@dataclass(frozen=True)
class Published:
    """One board as sent to its audience, with its size as JSON (the push cap compares it):
    exact, or a bound on it no larger than the cap (``published(..., at_most=)``), which
    answers "does it fit?" the same way without encoding it again."""

    payload: dict[str, Any]
    size: int

    @property
    def version(self) -> int:
        return self.payload["version"]


Key = tuple[str, str, str]  # event slug, task slug, board


class LiveCache:
    def __init__(
        self,
        db: Database,
        *,
        catalogue_seconds: float = CATALOGUE_S,
        verify_seconds: float = VERIFY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.catalogue_seconds = catalogue_seconds
        self.verify_seconds = verify_seconds
        self.clock = clock
        self._guard = threading.Lock()  # the dictionaries below
        self._boards: dict[Key, Published] = {}
        self._verified: dict[str, float] = {}
        self._flights: dict[str, threading.Lock] = {}  # per known event: one loader at a time
        self._catalogue_lock = threading.Lock()
        self._catalogue: dict[str, EventView] = {}
        self._catalogue_at = -math.inf
        self._finals: dict[int, tuple[datetime, dict[str, Any]]] = {}

    # --- events ---------------------------------------------------------------------------

    def event(self, slug: str) -> EventView | None:
        """The event named ``slug`` as of at most ``catalogue_seconds`` ago; None if none.

        Unknown slugs cost nothing: the whole catalogue is one query, not one per slug asked.
        """
        if self.clock() - self._catalogue_at >= self.catalogue_seconds:
            with self._catalogue_lock:
                if self.clock() - self._catalogue_at >= self.catalogue_seconds:
                    self._reload_catalogue()
        return self._catalogue.get(slug)

    def _reload_catalogue(self) -> None:
        try:
            self._catalogue = self._load_catalogue()
        except Exception:
            if not self._catalogue:
                raise
            # The database is away: keep answering from what was known, try again later.
            log.warning("live catalogue reload failed; serving the last one", exc_info=True)
        self._catalogue_at = self.clock()

    def _load_catalogue(self) -> dict[str, EventView]:
        with self.db.begin() as session:
            events = session.execute(select(Event.id, Event.slug, Event.final_published_at)).all()
            tasks = session.execute(
                select(Task.id, Task.event_id, Task.slug, Task.revealed_at).order_by(Task.id)
            ).all()
            finals = {}
            for event_id, _slug, published_at in events:
                known = self._finals.get(event_id)
                if published_at is None:
                    continue
                if known is None or known[0] != published_at:
                    # The ranking itself is read only when it was published again.
                    text = session.scalar(select(Event.final_board).where(Event.id == event_id))
                    known = (published_at, json.loads(text)) if text else None
                if known is not None:
                    finals[event_id] = known
        self._finals = finals
        by_event: dict[int, list[TaskView]] = {}
        for task_id, event_id, slug, revealed_at in tasks:
            by_event.setdefault(event_id, []).append(TaskView(task_id, slug, revealed_at))
        return {
            slug: EventView(
                event_id,
                slug,
                tuple(by_event.get(event_id, ())),
                finals[event_id][1] if event_id in finals else None,
            )
            for event_id, slug, _published_at in events
        }

    # --- boards ---------------------------------------------------------------------------

    def board(self, event: EventView, task: TaskView, board: Board) -> Published:
        """The board as last published: a lookup, or one computation per version."""
        key = (event.slug, task.slug, str(board))
        hit = self._boards.get(key)
        if hit is not None and self._fresh(event.slug):
            return hit
        with self._flight(event.slug):
            if not self._fresh(event.slug):
                self._verify(event)
            hit = self._boards.get(key)
            if hit is None:
                hit = self._compute(event, task, board)
            return hit

    def published(self, data: Any, at_most: int | None = None) -> None:
        """A ``leaderboard`` message as delivered by this process: it becomes the cached board.

        ``at_most``: a bound on its size as JSON already known to the caller (the length of
        the message that carried it through Redis), used instead of encoding it again; only
        pass one within the push cap, so that "fits" reads the same as with the exact size.
        """
        if (
            isinstance(data, dict)
            and data.get("board") in BOARDS
            and isinstance(data.get("event"), str)
            and isinstance(data.get("task"), str)
            and isinstance(data.get("version"), int)
        ):
            self._store((data["event"], data["task"], data["board"]), data, at_most)

    def forget(self, event_slug: str, boards: tuple[Board, ...]) -> None:
        """A push of one of these boards went by undecoded: the copies held here are old."""
        with self._guard:
            for key in [k for k in self._boards if k[0] == event_slug and k[2] in boards]:
                del self._boards[key]

    def measured(self, data: Any) -> int | None:
        """The size of ``data`` if it is the very payload cached for its board, else None."""
        if not isinstance(data, dict):
            return None
        key = (data.get("event"), data.get("task"), data.get("board"))
        entry = self._boards.get(key)  # type: ignore[arg-type]
        return entry.size if entry is not None and entry.payload is data else None

    def _store(self, key: Key, payload: dict[str, Any], at_most: int | None = None) -> Published:
        # Every web node caches every push (a 200-team board is ~40 KB): encoding each one
        # again only to measure it cost more than decoding it (issue 14).
        entry = Published(payload, wire_size(payload) if at_most is None else at_most)
        with self._guard:
            known = self._boards.get(key)
            # Pushes and computations may cross: an older version never replaces a newer one.
            if known is not None and known.version > entry.version:
                return known
            self._boards[key] = entry
        return entry

    def _fresh(self, event_slug: str) -> bool:
        return self.clock() - self._verified.get(event_slug, -math.inf) < self.verify_seconds

    def _flight(self, event_slug: str) -> threading.Lock:
        with self._guard:
            return self._flights.setdefault(event_slug, threading.Lock())

    def _verify(self, event: EventView) -> None:
        """Forget boards whose version the database has passed (a push that never came)."""
        slugs = {task.id: task.slug for task in event.tasks}
        try:
            with self.db.begin() as session:
                versions = session.execute(
                    select(BoardState.task_id, BoardState.board, BoardState.version).where(
                        BoardState.task_id.in_(list(slugs))
                    )
                ).all()
        except Exception:
            log.warning("live board versions unreadable; serving the cached boards", exc_info=True)
            versions = []
        with self._guard:
            for task_id, board, version in versions:
                key = (event.slug, slugs[task_id], board)
                known = self._boards.get(key)
                if known is not None and known.version < version:
                    del self._boards[key]
            self._verified[event.slug] = self.clock()

    def _compute(self, event: EventView, task: TaskView, board: Board) -> Published:
        with self.db.begin() as session:
            event_row = session.get(Event, event.id)
            task_row = session.get(Task, task.id)
            if event_row is None or task_row is None:
                raise LookupError(f"{event.slug}/{task.slug} is gone")
            payload = current_board(session, event_row, task_row, board)
        return self._store((event.slug, task.slug, str(board)), payload)

"""Boards whose visibility changes with the clock or an organizer's action.

A freeze moment passing, ``hackjudge freeze``/``unfreeze`` (which edit ``freeze_at``), the
end of an event, or a reveal ending change what a board shows without any new score. Each web
node ticks this about once a second; ``refresh_board`` pushes only when the visible board
really changed, so several nodes ticking together push once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.db import Database, utcnow
from core.models import Event, Task
from scoreboard.publish import Publisher

# Every task with its event's clock, in the order the boards were made.
_TASKS_AND_EVENTS = (
    select(Task.id, Task.event_id, Task.revealed_at, Event.freeze_at, Event.end_at)
    .join(Event, Event.id == Task.event_id)
    .order_by(Task.id)
)

State = tuple[datetime | None, datetime, bool, bool, tuple[datetime | None, ...]]


class BoardClock:
    def __init__(self, db: Database, publisher: Publisher) -> None:
        self.db = db
        self.publisher = publisher
        self.seen: dict[int, State] = {}

    def tick(self, now: datetime | None = None) -> list[int]:
        """Refresh the boards of events whose freeze/end state changed; their task ids."""
        now = now or utcnow()
        # One read a second, on the one node that holds the clock (``app.runtime``), by itself
        # (no BEGIN nor COMMIT): a freeze or reveal seen a moment late is seen the next tick
        # anyway. Events with no task have no board.
        with self.db.each_statement() as session:
            tasks = session.execute(_TASKS_AND_EVENTS).all()
        events = sorted(
            {(event_id, freeze_at, end_at) for _, event_id, _, freeze_at, end_at in tasks}
        )
        revealed: dict[int, list[datetime | None]] = {}
        for _task_id, event_id, revealed_at, _freeze, _end in tasks:
            revealed.setdefault(event_id, []).append(revealed_at)
        changed_events = []
        for event_id, freeze_at, end_at in events:
            state: State = (
                freeze_at,
                end_at,
                freeze_at is not None and now >= freeze_at,
                now >= end_at,
                # A reveal ended elsewhere (the CLI): the freeze is over, the private board public.
                tuple(revealed.get(event_id, ())),
            )
            if self.seen.get(event_id) != state:
                # The first tick refreshes too: a freeze may have passed while no node ran.
                changed_events.append(event_id)
                self.seen[event_id] = state
        refreshed = [task_id for task_id, event_id, *_ in tasks if event_id in changed_events]
        for task_id in refreshed:
            self.publisher.task_changed(task_id)
        # Changes only marked (uploads) that no score's push has shown yet.
        taking_uploads = self.open_events(events, now)
        for task_id, event_id, *_ in tasks:
            if task_id not in refreshed and event_id in taking_uploads:
                self.publisher.settle(task_id)
        return refreshed

    @staticmethod
    def open_events(events: list, now: datetime) -> set[int]:
        """Events still taking uploads (only they get marked changes)."""
        return {event_id for event_id, _freeze, end_at in events if now < end_at}

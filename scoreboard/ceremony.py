"""What organizers do in front of the hall: reveal steps and announcements (API and CLI).

Each function changes the database in the caller's session and returns what to push; the
caller commits first and pushes after, so a client that asks again sees at least that state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from core.db import iso
from core.errors import TranslatableError
from core.models import Announcement, Event, Reveal, Task, User
from scoreboard import reveal
from scoreboard.publish import Publisher

MAX_ANNOUNCEMENT = 500


class AnnouncementError(TranslatableError, ValueError):
    """An announcement refused (empty or too long)."""


@dataclass
class RevealStep:
    event: Event
    task: Task
    message: dict[str, Any]

    def publish(self, publisher: Publisher) -> None:
        publisher.reveal(self.event.slug, self.message)
        if self.message["finished"]:
            # The freeze ends and the private board opens: every board of the task moves.
            publisher.task_changed(self.task.id)


def reveal_task(event: Event, slug: str | None, session: Session) -> Task:
    """The named task, or the first whose reveal is not over."""
    if slug is not None:
        for task in event.tasks:
            if task.slug == slug:
                return task
        raise reveal.RevealRefused(
            "No task %(task)s in %(event)s.", task=repr(slug), event=repr(event.slug)
        )
    finished = set(
        session.scalars(
            select(Reveal.task_id).where(
                Reveal.task_id.in_([t.id for t in event.tasks]), Reveal.finished_at.is_not(None)
            )
        )
    )
    for task in event.tasks:
        if task.id not in finished:
            return task
    raise reveal.RevealRefused("Every task of %(event)s is revealed.", event=repr(event.slug))


def reveal_next(
    session: Session,
    event: Event,
    task_slug: str | None,
    now: datetime,
    user_id: int | None,
    *,
    to_end: bool = False,
    actor_name: str = "",
) -> RevealStep:
    """Start the reveal of a task or reveal its next team (``to_end``: all that remain)."""
    task = reveal_task(event, task_slug, session)
    row = reveal.advance(session, event, task, now, user_id, to_end=to_end)
    step = RevealStep(event, task, reveal.message(event, task, row))
    audit(
        session,
        event,
        _actor(session, user_id, actor_name),
        "reveal.step",
        task.slug,
        None,
        {"step": row.step, "team": step.message["team"], "finished": step.message["finished"]},
    )
    return step


def _actor(session: Session, user_id: int | None, name: str = "") -> User | str | None:
    """Who the audit log names: the account, or the command line's user (``cli:…``)."""
    return session.get(User, user_id) if user_id else (name or None)


def announcement_json(event: Event, item: Announcement) -> dict[str, Any]:
    return {"id": item.id, "event": event.slug, "message": item.message, "at": iso(item.created_at)}


def announce(
    session: Session,
    event: Event,
    text: str,
    user_id: int | None,
    now: datetime,
    actor_name: str = "",
) -> dict[str, Any]:
    """Store an announcement; returns the ``announcement`` event to push."""
    text = " ".join(text.split())
    if not text:
        raise AnnouncementError("The announcement is empty.")
    if len(text) > MAX_ANNOUNCEMENT:
        raise AnnouncementError(
            "Announcements are at most %(limit)d characters.", limit=MAX_ANNOUNCEMENT
        )
    item = Announcement(event_id=event.id, message=text, created_by=user_id, created_at=now)
    session.add(item)
    session.flush()
    actor = _actor(session, user_id, actor_name)
    audit(session, event, actor, "announce", event.slug, None, {"message": text})
    return announcement_json(event, item)


def recent_announcements(session: Session, event: Event, limit: int = 20) -> list[dict]:
    items = session.scalars(
        select(Announcement)
        .where(Announcement.event_id == event.id)
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
        .limit(limit)
    )
    return [announcement_json(event, a) for a in items]

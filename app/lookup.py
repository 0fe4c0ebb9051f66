"""Fetching events, tasks and submissions by their public names, or 404."""

from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, select

from app.extensions import db
from core.models import Event, Task


def session():  # noqa: ANN201 - the request-scoped session
    assert db.session is not None
    return db.session


def _looked_up() -> dict[tuple[object, ...], object]:
    """What this request has looked up already (an upload's size check and its view both
    need the event and the task)."""
    return g.setdefault("hackjudge_lookups", {})


def event_or_404(slug: str) -> Event:
    seen = _looked_up()
    event = seen.get(("event", slug))
    if event is None:
        event = session().scalars(select(Event).where(Event.slug == slug)).first()
        if event is None:
            abort(404, description=_("No event %(event)s.", event=repr(slug)))
        seen[("event", slug)] = event
    return event  # type: ignore[return-value]


def task_or_404(event: Event, slug: str) -> Task:
    seen = _looked_up()
    task = seen.get(("task", event.id, slug))
    if task is None:
        task = (
            session()
            .scalars(select(Task).where(Task.event_id == event.id, Task.slug == slug))
            .first()
        )
        if task is not None:
            seen[("task", event.id, slug)] = task
    if task is None:
        abort(
            404,
            description=_(
                "No task %(task)s in %(event)s.", task=repr(slug), event=repr(event.slug)
            ),
        )
    return task


# Built once (SQLAlchemy memoizes a statement's cache key): every upload looks these up.
_EVENT_AND_TASK = (
    select(Event, Task)
    .outerjoin(Task, and_(Task.event_id == Event.id, Task.slug == bindparam("task_slug")))
    .where(Event.slug == bindparam("event_slug"))
)


def event_and_task_or_404(event_slug: str, task_slug: str) -> tuple[Event, Task]:
    """``task_or_404(event_or_404(event_slug), task_slug)`` in one query, not two (an upload
    looks both up before anything else: issue 14); later lookups of either find them."""
    seen = _looked_up()
    event = seen.get(("event", event_slug))
    if event is None:
        found = (
            session()
            .execute(_EVENT_AND_TASK, {"event_slug": event_slug, "task_slug": task_slug})
            .first()
        )
        if found is not None:
            event, task = found
            seen[("event", event_slug)] = event
            if task is not None:
                seen[("task", event.id, task_slug)] = task
    return event_or_404(event_slug), task_or_404(event_or_404(event_slug), task_slug)


def task_from_args(event: Event) -> Task:
    """The task named by ``?task=``, or the event's first; 404 when there is none."""
    if not event.tasks:
        abort(404, description=_("This event has no tasks yet."))
    return task_or_404(event, request.args.get("task") or event.tasks[0].slug)

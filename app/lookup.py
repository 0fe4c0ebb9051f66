"""Fetching events, tasks and submissions by their public names, or 404."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from core.models import Event, Task


def session():  # noqa: ANN201 - the request-scoped session
    assert db.session is not None
    return db.session


def event_or_404(slug: str) -> Event:
    event = session().scalars(select(Event).where(Event.slug == slug)).first()
    if event is None:
        abort(404, description=_("No event %(event)s.", event=repr(slug)))
    return event


def task_or_404(event: Event, slug: str) -> Task:
    task = (
        session().scalars(select(Task).where(Task.event_id == event.id, Task.slug == slug)).first()
    )
    if task is None:
        abort(
            404,
            description=_(
                "No task %(task)s in %(event)s.", task=repr(slug), event=repr(event.slug)
            ),
        )
    return task


def task_from_args(event: Event) -> Task:
    """The task named by ``?task=``, or the event's first; 404 when there is none."""
    if not event.tasks:
        abort(404, description=_("This event has no tasks yet."))
    return task_or_404(event, request.args.get("task") or event.tasks[0].slug)

"""Fetching events, tasks and submissions by their public names, or 404."""

from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from core.models import ApiToken, Event, Task, Team, TeamMember


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
            remember(event_slug, task_slug, *found)
    return event_or_404(event_slug), task_or_404(event_or_404(event_slug), task_slug)


def remember(event_slug: str, task_slug: str, event: Event, task: Task | None) -> None:
    """What later lookups of this request find: ``event``, and ``task`` unless None."""
    seen = _looked_up()
    seen[("event", event_slug)] = event
    if task is not None:
        seen[("task", event.id, task_slug)] = task


# An upload's event, task, token (with its user) and the user's team in one statement: two
# round trips fewer on the web node and on PostgreSQL than the token's lookup, then theirs,
# then the team's (issue 14). The token's row is found by its hash, as
# ``app.security.live_token`` finds it; the team is the one the upload's row is then checked
# against (``submissions.intake``: its INSERT requires the membership still to hold).
_UPLOAD_LOOKUPS = (
    _EVENT_AND_TASK.add_columns(ApiToken, Team)
    .outerjoin(ApiToken, ApiToken.token_hash == bindparam("token_hash"))
    .outerjoin(ApiToken.user)
    .outerjoin(
        TeamMember,
        and_(TeamMember.user_id == ApiToken.user_id, TeamMember.event_id == Event.id),
    )
    .outerjoin(Team, Team.id == TeamMember.team_id)
    .options(contains_eager(ApiToken.user))  # held by the token: every request reads it
)


def event_task_and_token(
    event_slug: str, task_slug: str, token_hash: str
) -> tuple[Event, Task | None, ApiToken | None] | None:
    """The event (None: there is none), its task and the token row of ``token_hash`` (its user
    loaded), looked up together; the event and task are remembered for later lookups, and so
    is the team of the token's user in the event (:func:`known_team`)."""
    found = (
        session()
        .execute(
            _UPLOAD_LOOKUPS,
            {"event_slug": event_slug, "task_slug": task_slug, "token_hash": token_hash},
        )
        .first()
    )
    if found is None:
        return None
    event, task, token, team = found
    remember(event_slug, task_slug, event, task)
    if token is not None:
        _looked_up()[("team", token.user_id, event.id)] = team
    return event, task, token


def known_team(user_id: int, event_id: int) -> Team | None:
    """The team of ``user_id`` in ``event_id`` if this request looked it up already (None: it
    did not, or the user is in no team: the caller reads it then)."""
    team = _looked_up().get(("team", user_id, event_id))
    return team if isinstance(team, Team) else None


def task_from_args(event: Event) -> Task:
    """The task named by ``?task=``, or the event's first; 404 when there is none."""
    if not event.tasks:
        abort(404, description=_("This event has no tasks yet."))
    return task_or_404(event, request.args.get("task") or event.tasks[0].slug)

"""The reveal in the database: start it after the deadline, advance it one team at a time.

The plan (who is revealed in which order, and each team's marks) is computed once, when the
reveal starts, and stored: a late rescore or a disqualification cannot reshuffle a ceremony
half-way through. Steps move by a guarded atomic UPDATE, so two organizers pressing a key at
once reveal two teams, never the same one twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import iso
from core.errors import TranslatableError
from core.models import PENDING, Event, Reveal, Submission, Task
from judge.metrics import get_metric
from scoreboard import resolver
from scoreboard.queries import board_rows


class RevealRefused(TranslatableError, ValueError):
    """The reveal cannot start or go on (before the deadline, say)."""


def build_plan(session: Session, event: Event, task: Task) -> dict[str, Any]:
    """Contenders and steps from the frozen public board and the private board."""
    higher = get_metric(task.metric).higher_is_better
    common = {"staff": False, "higher_is_better": higher, "ended": True}
    frozen, _ = board_rows(session, task, private=False, before=event.freeze_at, **common)
    private, _ = board_rows(session, task, private=True, before=None, **common)
    teams = resolver.contenders(frozen, private)
    return resolver.dump(teams, resolver.plan(teams, higher))


def _pending(session: Session, event: Event, task: Task) -> int:
    """Submissions made before the end that are not scored yet (the plan would miss them)."""
    return session.scalar(
        select(func.count(Submission.id)).where(
            Submission.task_id == task.id,
            Submission.status.in_(PENDING),
            Submission.created_at < event.end_at,
        )
    )


def _start(
    session: Session, event: Event, task: Task, now: datetime, user_id: int | None, to_end: bool
) -> Reveal | None:
    """Store the plan; None if another press stored one first (then advance that one)."""
    waiting = _pending(session, event, task)
    if waiting:
        raise RevealRefused(
            "%(count)d submission(s) made before the end are still being scored; "
            "start the reveal once they are done.",
            count=waiting,
        )
    plan = build_plan(session, event, task)
    total = len(plan["steps"])
    reveal = Reveal(
        task_id=task.id,
        plan=json.dumps(plan, ensure_ascii=False),
        step=total if to_end else 0,
        total=total,
        started_by=user_id,
        started_at=now,
    )
    try:
        with session.begin_nested():  # a savepoint: a concurrent first press wins cleanly
            session.add(reveal)
            session.flush()
    except IntegrityError:
        return None
    return reveal


def advance(
    session: Session,
    event: Event,
    task: Task,
    now: datetime,
    user_id: int | None = None,
    *,
    to_end: bool = False,
) -> Reveal:
    """Start the task's reveal, or reveal the next team (``to_end``: every team left).

    The step moves by one atomic UPDATE guarded by the step it read, so two presses at once
    reveal two teams and never the same one twice, on SQLite (which ignores FOR UPDATE) too.
    """
    if now < event.end_at:
        raise RevealRefused("The reveal starts after the event's end.")
    reveal = session.get(Reveal, task.id)
    if reveal is None:
        reveal = _start(session, event, task, now, user_id, to_end)
        if reveal is not None:
            return _finish_if_done(session, task, reveal, now)
        reveal = session.get(Reveal, task.id, populate_existing=True)
        assert reveal is not None
    for _attempt in range(20):
        if reveal.finished_at is not None:
            raise RevealRefused("The reveal of %(task)s is over.", task=repr(task.slug))
        seen = reveal.step
        moved = session.execute(
            update(Reveal)
            .where(Reveal.task_id == task.id, Reveal.step == seen, Reveal.finished_at.is_(None))
            .values(step=reveal.total if to_end else seen + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(reveal)
        if moved:
            return _finish_if_done(session, task, reveal, now)
    raise RevealRefused("Too many presses at once; press again.")


def _finish_if_done(session: Session, task: Task, reveal: Reveal, now: datetime) -> Reveal:
    if reveal.step >= reveal.total and reveal.finished_at is None:
        reveal.finished_at = now
        task.revealed_at = now
    session.flush()
    return reveal


def message(event: Event, task: Task, reveal: Reveal) -> dict[str, Any]:
    """The ``reveal`` event (SPEC §6) with the standings after this step, for any latecomer."""
    teams, steps = resolver.load(json.loads(reveal.plan))
    done = steps[: reveal.step]
    current = done[-1] if done else None
    return {
        "event": event.slug,
        "task": task.slug,
        "started": True,
        "step": reveal.step,
        "total": reveal.total,
        "team": current.team if current else None,
        "from_rank": current.from_rank if current else None,
        "to_rank": current.to_rank if current else None,
        "private_score": current.private_score if current else None,
        "finished": reveal.finished_at is not None,
        "finished_at": iso(reveal.finished_at),
        "decimals": task.decimals,
        "higher_is_better": get_metric(task.metric).higher_is_better,
        "standings": resolver.standings(
            teams, {s.team_id for s in done}, get_metric(task.metric).higher_is_better
        ),
    }


def state(session: Session, event: Event, task: Task) -> dict[str, Any] | None:
    """The current reveal message of a task, or None before its reveal starts."""
    reveal = session.get(Reveal, task.id)
    return message(event, task, reveal) if reveal is not None else None

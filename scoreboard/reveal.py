"""The reveal in the database: start it after the deadline, advance it one team at a time.

The plan (who is revealed in which order, and each team's marks) is computed once, when the
reveal starts, and stored: a late rescore or a disqualification cannot reshuffle a ceremony
half-way through. Steps are counted in one row locked per advance, so two organizers pressing
a key at once reveal two teams, never the same one twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Event, Reveal, Task
from judge.metrics import get_metric
from scoreboard import resolver
from scoreboard.boards import iso
from scoreboard.queries import board_rows


class RevealRefused(ValueError):
    """The reveal cannot start or go on (before the deadline, say)."""


def build_plan(session: Session, event: Event, task: Task) -> dict[str, Any]:
    """Contenders and steps from the frozen public board and the private board."""
    higher = get_metric(task.metric).higher_is_better
    common = {"staff": False, "higher_is_better": higher, "ended": True}
    frozen, _ = board_rows(session, task, private=False, before=event.freeze_at, **common)
    private, _ = board_rows(session, task, private=True, before=None, **common)
    teams = resolver.contenders(frozen, private)
    return resolver.dump(teams, resolver.plan(teams, higher))


def _locked(session: Session, task: Task) -> Reveal | None:
    return session.scalars(
        select(Reveal).where(Reveal.task_id == task.id).with_for_update()
    ).first()


def advance(
    session: Session,
    event: Event,
    task: Task,
    now: datetime,
    user_id: int | None = None,
    *,
    to_end: bool = False,
) -> Reveal:
    """Start the task's reveal, or reveal the next team (``to_end``: every team left)."""
    if now < event.end_at:
        raise RevealRefused("The reveal starts after the event's end.")
    reveal = _locked(session, task)
    if reveal is None:
        plan = build_plan(session, event, task)
        reveal = Reveal(
            task_id=task.id,
            plan=json.dumps(plan, ensure_ascii=False),
            step=0,
            total=len(plan["steps"]),
            started_by=user_id,
            started_at=now,
        )
        session.add(reveal)
        if to_end:
            reveal.step = reveal.total
    elif reveal.finished_at is not None:
        raise RevealRefused(f"The reveal of {task.slug!r} is over.")
    else:
        reveal.step = reveal.total if to_end else reveal.step + 1
    if reveal.step >= reveal.total:
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

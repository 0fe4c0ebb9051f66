"""What a team has used of a task's upload quota, in SQL (SPEC §3 rule 3).

Statuses that use up quota: format errors and platform faults do not. Today is the event's
calendar day (``submissions.quota.day_window``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from core.models import (
    CODE_USES_QUOTA,
    USES_QUOTA,
    Event,
    Submission,
    Task,
    Team,
    quota_statuses,
    status_in,
)
from submissions.errors import IntakeError
from submissions.quota import day_window, seconds_until


@dataclass(frozen=True)
class Usage:
    """What a team has used of a task's quota, in all and today."""

    total: int
    today: int


_CODE_TASK = bindparam("code_task", type_=Boolean)
# The statements below take ``quota_params`` and the team's id (``team_id``).
TEAMS_ROWS = Submission.team_id == bindparam("team_id")
_COUNTED = and_(
    TEAMS_ROWS,
    Submission.task_id == bindparam("task_id"),
    # ``quota_statuses(task)``: a code task's quota counts more (``code_task``).
    or_(
        and_(_CODE_TASK.is_(False), status_in(USES_QUOTA)),
        and_(_CODE_TASK.is_(True), status_in(CODE_USES_QUOTA)),
    ),
)
_COUNTED_TODAY = and_(
    _COUNTED,
    Submission.created_at >= bindparam("start"),
    Submission.created_at < bindparam("end"),
)
_USAGE = select(
    func.count(Submission.id).filter(_COUNTED), func.count(Submission.id).filter(_COUNTED_TODAY)
).where(TEAMS_ROWS)
# True while the team may upload one more file: the rule of ``check_quota``, as a condition
# an upload's INSERT carries (``submissions.intake``).
WITHIN_QUOTA = and_(
    or_(
        bindparam("total_limit", type_=Integer).is_(None),
        select(func.count(Submission.id)).where(_COUNTED).scalar_subquery()
        < bindparam("total_limit", type_=Integer),
    ),
    or_(
        bindparam("daily_limit", type_=Integer).is_(None),
        select(func.count(Submission.id)).where(_COUNTED_TODAY).scalar_subquery()
        < bindparam("daily_limit", type_=Integer),
    ),
)


def quota_params(event: Event, task: Task, now: datetime) -> dict[str, Any]:
    """The parameters of ``task``'s quota at ``now``, for the statements above."""
    start, end = day_window(now, event.timezone)
    return {
        "task_id": task.id,
        "code_task": quota_statuses(task) == CODE_USES_QUOTA,
        "total_limit": task.total_limit,
        "daily_limit": task.daily_limit,
        "start": start,
        "end": end,
    }


def usage(session: Session, event: Event, task: Task, team: Team, now: datetime) -> Usage:
    """The team's :class:`Usage` in one statement."""
    params = {"team_id": team.id, **quota_params(event, task, now)}
    total, today = session.execute(_USAGE, params).one()
    return Usage(total, today)


def used_today(session: Session, event: Event, task: Task, team: Team, now: datetime) -> int:
    """Submissions counted against today's quota (midnight to midnight, event time)."""
    return usage(session, event, task, team, now).today


def check_quota(session: Session, event: Event, task: Task, team: Team, now: datetime) -> Usage:
    """Refuse an upload past the task's total or daily quota; else the team's usage."""
    used = usage(session, event, task, team, now)
    if task.total_limit is not None and used.total >= task.total_limit:
        raise IntakeError(
            429,
            "total_quota",
            "Your team has used all %(limit)d submissions.",
            limit=task.total_limit,
        )
    if task.daily_limit is not None:
        _start, end = day_window(now, event.timezone)
        if used.today >= task.daily_limit:
            raise IntakeError(
                429,
                "daily_quota",
                "Your team has used today's %(limit)d submissions; "
                "the quota resets at midnight (event time).",
                retry_after=seconds_until(end, now),
                limit=task.daily_limit,
            )
    return used

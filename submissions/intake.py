"""Accepting an upload: who, when, how big, how many — then the row, then the job (SPEC §3, §9).

Every refusal is an :class:`IntakeError` with the HTTP status of SPEC §9 and a message for
the participant; a refused upload leaves no row and no file behind.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import Event, Role, Status, Submission, Task, Team, TeamMember, User
from judge.errors import Param, ParticipantVisibleError, TranslatableError
from judge.metrics import Shape, get_metric
from judge.reader import sniff_header
from judge.truth import submission_columns
from submissions.quota import day_window, seconds_until
from submissions.storage import StoredFile, TooLarge, discard, store_stream

# Statuses that use up quota: format errors and platform faults do not (rule 3).
USES_QUOTA = (Status.QUEUED, Status.SCORING, Status.SCORED)
_sqlite_quota_lock = threading.Lock()  # SQLite has no row locks; embedded mode is one process


class IntakeError(TranslatableError):
    """An upload refused: the HTTP status and code of SPEC §9, and a message for the team."""

    def __init__(
        self, status: int, code: str, template: str, retry_after: int | None = None, **params: Param
    ) -> None:
        super().__init__(template, **params)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        """The message in the reader's language."""
        return str(self)


def required_columns(task: Task) -> list[str]:
    """The columns an upload's header must hold: the id and the task's prediction column(s).

    A class-probability task made before its classes were kept asks for the id only here;
    the scorer checks the rest.
    """
    metric = get_metric(task.metric)
    if task.classes is None and (
        metric.multiclass_shape is not None or metric.shape is Shape.CLASS_PROBABILITIES
    ):
        return [task.id_column]
    return [task.id_column, *submission_columns(metric, task.target_column, task.classes or [])]


def team_of(session: Session, user: User, event: Event) -> Team | None:
    return session.scalars(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user.id, TeamMember.event_id == event.id)
    ).first()


def check_submitter(session: Session, user: User, event: Event, team_id: int | None) -> Team:
    """The team the user submits for; refuses staff, outsiders and other teams."""
    if user.role != Role.PARTICIPANT:
        raise IntakeError(403, "not_participant", "Only participants can submit.")
    team = team_of(session, user, event)
    if team is None:
        raise IntakeError(403, "no_team", "You are not in a team of this event.")
    if team_id is not None and team_id != team.id:
        raise IntakeError(403, "other_team", "You can only submit for your own team.")
    if team.disqualified:
        raise IntakeError(403, "disqualified", "Your team is disqualified.")
    return team


def check_open(event: Event, now: datetime) -> None:
    if now < event.start_at:
        raise IntakeError(409, "not_started", "The event has not started yet.")
    if now >= event.end_at:
        raise IntakeError(409, "closed", "The submission deadline has passed.")


def _counted(team: Team, task: Task) -> Select[tuple[int]]:
    return select(func.count(Submission.id)).where(
        Submission.team_id == team.id,
        Submission.task_id == task.id,
        Submission.status.in_(USES_QUOTA),
    )


def used_today(session: Session, event: Event, task: Task, team: Team, now: datetime) -> int:
    """Submissions counted against today's quota (midnight to midnight, event time)."""
    start, end = day_window(now, event.timezone)
    return session.scalar(
        _counted(team, task).where(Submission.created_at >= start, Submission.created_at < end)
    )


def check_quota(session: Session, event: Event, task: Task, team: Team, now: datetime) -> None:
    if task.total_limit is not None and session.scalar(_counted(team, task)) >= task.total_limit:
        raise IntakeError(
            429,
            "total_quota",
            "Your team has used all %(limit)d submissions.",
            limit=task.total_limit,
        )
    if task.daily_limit is not None:
        _start, end = day_window(now, event.timezone)
        today = used_today(session, event, task, team, now)
        if today >= task.daily_limit:
            raise IntakeError(
                429,
                "daily_quota",
                "Your team has used today's %(limit)d submissions; "
                "the quota resets at midnight (event time).",
                retry_after=seconds_until(end, now),
                limit=task.daily_limit,
            )


def accept(
    session: Session,
    *,
    user: User,
    event: Event,
    task: Task,
    stream: BinaryIO,
    filename: str,
    note: str,
    storage_dir: Path,
    max_bytes: int,
    team_id: int | None = None,
) -> Submission:
    """Check, store and commit one upload; the caller then dispatches its job."""
    team = check_submitter(session, user, event, team_id)
    check_open(event, utcnow())
    try:
        stored = store_stream(stream, storage_dir, max_bytes)
    except TooLarge:
        limit = f"{max_bytes / 1e6:g}"
        raise IntakeError(
            413, "too_large", "The file is larger than the %(mb)s MB limit.", mb=limit
        ) from None
    try:
        sniff_header(stored.head, filename, required_columns(task))
        # The deadline holds for the moment the upload completed, not when it began.
        now = utcnow()
        check_open(event, now)
        return _record(session, event, task, team, user, stored, filename, note, now)
    except ParticipantVisibleError as exc:
        discard(storage_dir, stored)
        raise IntakeError(422, "invalid_file", exc.template, **exc.params) from None
    except BaseException:
        discard(storage_dir, stored)
        raise


def _record(
    session: Session,
    event: Event,
    task: Task,
    team: Team,
    user: User,
    stored: StoredFile,
    filename: str,
    note: str,
    now: datetime,
) -> Submission:
    def insert() -> Submission:
        check_quota(session, event, task, team, now)
        sub = Submission(
            task_id=task.id,
            team_id=team.id,
            user_id=user.id,
            filename=Path(filename or "submission.csv").name[:300],
            stored_path=stored.relative_path,
            sha256=stored.sha256,
            size=stored.size,
            note=note[:2000],
            created_at=now,
            status=Status.QUEUED,
        )
        session.add(sub)
        session.flush()
        return sub

    if session.get_bind().dialect.name == "sqlite":
        with _sqlite_quota_lock:
            sub = insert()
            session.commit()  # inside the lock, so the next count sees this row
            return sub
    # A row lock on the team serialises concurrent uploads (double clicks) at the quota edge.
    session.scalars(select(Team).where(Team.id == team.id).with_for_update()).one()
    sub = insert()
    session.commit()
    return sub

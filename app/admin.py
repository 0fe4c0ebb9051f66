"""Organizer operations shared by the CLI and (later) the console: events, tasks, teams."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.messages import translate as _
from app.security import create_user
from core.cells import spreadsheet_safe_token
from core.db import iso
from core.errors import TranslatableError
from core.models import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_DECIMALS,
    DEFAULT_FINAL_PICKS,
    DEFAULT_PUBLIC_FRACTION,
    RUN_BUSY,
    Event,
    RescoreRun,
    Role,
    RunStatus,
    Task,
    Team,
    TeamMember,
    User,
)
from judge.metrics import get_metric
from judge.prepare import PreparedTruth, RatingRange, prepare_truth
from judge.reader import read_table
from judge.truth import rating_range_of
from scoreboard.boards import ensure_board_states

TEAM_COLUMNS = ["team", "affiliation", "name", "email"]
# Event and task addresses: lower-case letters and digits, joined by single hyphens. The form
# field carries the same pattern (valid with the HTML pattern attribute's ``v`` flag).
SLUG_PATTERN = "[a-z0-9]+(-[a-z0-9]+)*"
SLUG_MAX = 100
EARLIEST, LATEST = datetime(1970, 1, 2), datetime(2999, 12, 30)  # event times, any offset


class SetupError(TranslatableError, ValueError):
    """An organizer's set-up request refused; the message says what to change."""


def _utc(moment: datetime | None) -> str | None:
    return iso(moment.astimezone(UTC)) if moment else None


def event_summary(event: Event) -> dict[str, object]:
    """An event's settings as the API returns them and the audit log records them."""
    return {
        "slug": event.slug,
        "title": event.title,
        "timezone": event.timezone,
        "start_at": _utc(event.start_at),
        "end_at": _utc(event.end_at),
        "freeze_at": _utc(event.freeze_at),
        "freeze_scheduled_at": _utc(event.freeze_scheduled_at),
    }


def task_summary(task: Task) -> dict[str, object]:
    """What the audit log records of a task's creation or update."""
    return {
        "metric": task.metric,
        "rows": task.truth_rows,
        "public_rows": task.public_rows,
        "truth_sha256": task.truth_sha256,
        "rating_range": rating_range_of(task),
    }


def check_slug(slug: str) -> None:
    """An event's or task's address as it appears in URLs: ``camp26``, ``churn-2``."""
    if not re.fullmatch(SLUG_PATTERN, slug) or len(slug) > SLUG_MAX:
        raise SetupError(
            "The address %(slug)s may hold only lower-case letters, digits and single hyphens "
            "(at most %(max)d characters), e.g. camp26 or churn-2.",
            slug=repr(slug[:SLUG_MAX]),
            max=SLUG_MAX,
        )


def parse_time(text: str, timezone: str) -> datetime:
    """ISO 8601; a time without an offset is read in the event's timezone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SetupError("Not an ISO 8601 time: %(text)s.", text=repr(text)) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    # Year 1 or 9999 would overflow when stored in UTC (a 500, not a message); no event runs
    # outside these years.
    if not EARLIEST <= moment.replace(tzinfo=None) <= LATEST:
        raise SetupError(
            "%(text)s is outside the years %(first)d–%(last)d.",
            text=repr(text),
            first=EARLIEST.year,
            last=LATEST.year,
        )
    return moment


def check_times(
    start_at: datetime | None, end_at: datetime | None, freeze_at: datetime | None
) -> None:
    """An event's times in order: start, then freeze (if any), then end."""
    if start_at is None or end_at is None or end_at <= start_at:
        raise SetupError("The end must come after the start.")
    if freeze_at and not start_at <= freeze_at <= end_at:
        raise SetupError("The freeze must fall between start and end.")


def create_event(
    session: Session,
    slug: str,
    title: str,
    start: str,
    end: str,
    freeze: str | None = None,
    timezone: str = "Asia/Seoul",
) -> Event:
    check_slug(slug)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SetupError("Unknown timezone %(timezone)s.", timezone=repr(timezone)) from exc
    if session.scalars(select(Event).where(Event.slug == slug)).first():
        raise SetupError("Event %(event)s already exists.", event=repr(slug))
    start_at, end_at = parse_time(start, timezone), parse_time(end, timezone)
    freeze_at = parse_time(freeze, timezone) if freeze else None
    check_times(start_at, end_at, freeze_at)
    event = Event(
        slug=slug,
        title=title,
        timezone=timezone,
        start_at=start_at,
        end_at=end_at,
        freeze_at=freeze_at,
        freeze_scheduled_at=freeze_at,
    )
    session.add(event)
    session.flush()
    return event


def freeze_event(event: Event, now: datetime) -> None:
    """Freeze the public board now (or keep an earlier freeze); the clock pushes it.

    The schedule is kept: lifting this freeze before the scheduled moment comes back to it.
    """
    if now >= event.end_at:
        raise SetupError("The event has ended; the board is final until the reveal.")
    if event.freeze_at is None or event.freeze_at > now:
        event.freeze_at = now


def unfreeze_event(event: Event, now: datetime) -> None:
    """Lift the freeze in force: public views catch up with everything scored meanwhile.

    A freeze still scheduled for later stays scheduled; one whose moment has passed is lifted
    with it (the organizer asked for an unfrozen board now).
    """
    scheduled = event.freeze_scheduled_at
    event.freeze_at = scheduled if scheduled is not None and scheduled > now else None


def schedule_freeze(event: Event, moment: datetime | None, now: datetime) -> None:
    """Set (or clear) the scheduled freeze; a manual freeze in force now stays in force."""
    event.freeze_scheduled_at = moment
    manual = event.freeze_at is not None and event.freeze_at <= now
    if not manual or (moment is not None and moment <= event.freeze_at):
        event.freeze_at = moment


def event_by_slug(session: Session, slug: str) -> Event:
    event = session.scalars(select(Event).where(Event.slug == slug)).first()
    if event is None:
        raise SetupError("No event %(event)s.", event=repr(slug))
    return event


# A task's numbers: what makes sense (a 10,000-digit score is no score) and what the
# database's integer columns hold.
TASK_RANGES = {
    "daily_limit": (1, 100_000),
    "total_limit": (1, 1_000_000),
    "final_picks": (1, 100),
    "decimals": (0, 12),
}


def check_task_settings(**values: int | str | None) -> None:
    """A task's limits within ``TASK_RANGES``; its texts within their columns."""
    widths = {"title": Task.title, "id_column": Task.id_column, "target": Task.target_column}
    for name, value in values.items():
        if value is None:
            continue
        if name in widths:
            limit = widths[name].type.length
            if len(str(value)) > limit:
                raise SetupError(
                    "%(field)s holds at most %(limit)d characters.", field=name, limit=limit
                )
            continue
        low, high = TASK_RANGES[name]
        if not low <= int(value) <= high:
            raise SetupError(
                "%(field)s must be between %(low)d and %(high)d.", field=name, low=low, high=high
            )


def create_task(
    session: Session,
    event: Event,
    slug: str,
    *,
    metric: str,
    truth: Path,
    storage_dir: Path,
    id_column: str = "id",
    target: str = "target",
    public_fraction: float = DEFAULT_PUBLIC_FRACTION,
    usage_column: str | None = None,
    daily_limit: int | None = DEFAULT_DAILY_LIMIT,
    total_limit: int | None = None,
    final_picks: int = DEFAULT_FINAL_PICKS,
    title: str = "",
    max_file_mb: float | None = None,
    decimals: int = DEFAULT_DECIMALS,
    rating_range: RatingRange | None = None,
) -> Task:
    check_slug(slug)
    get_metric(metric)
    check_task_settings(
        daily_limit=daily_limit,
        total_limit=total_limit,
        final_picks=final_picks,
        decimals=decimals,
        title=title,
        id_column=id_column,
        target=target,
    )
    if session.scalars(select(Task).where(Task.event_id == event.id, Task.slug == slug)).first():
        raise SetupError(
            "Task %(task)s already exists in %(event)s.", task=repr(slug), event=repr(event.slug)
        )
    prepared = prepare_truth(
        truth,
        storage_dir / "truth",
        id_column=id_column,
        target_column=target,
        metric=metric,
        public_fraction=public_fraction,
        usage_column=usage_column,
        rating_range=rating_range,
    )
    task = Task(
        event_id=event.id,
        slug=slug,
        title=title or slug,
        metric=metric,
        id_column=id_column,
        target_column=target,
        truth_path=str(prepared.path.resolve()),
        truth_sha256=prepared.sha256,
        truth_rows=prepared.rows,
        public_rows=prepared.public_rows,
        daily_limit=daily_limit,
        total_limit=total_limit,
        final_picks=final_picks,
        max_file_mb=max_file_mb,
        decimals=decimals,
    )
    _keep_scale(task, prepared)
    session.add(task)
    session.flush()
    ensure_board_states(session, event, task)
    return task


def update_task(
    session: Session,
    task: Task,
    *,
    storage_dir: Path,
    truth: Path | None = None,
    metric: str | None = None,
    rating_range: RatingRange | None = None,
) -> Task:
    """Replace a task's ground truth (same ids, same split), metric or rating scale; rescore
    after. A qwk task keeps its scale unless a new one is given."""
    metric = metric or task.metric
    get_metric(metric)
    source = truth or Path(task.truth_path)
    if rating_range is None and get_metric(metric).ordinal:
        rating_range = rating_range_of(task)
    prepared = prepare_truth(
        source,
        storage_dir / "truth",
        id_column=task.id_column,
        target_column=task.target_column,
        metric=metric,
        keep_split_of=Path(task.truth_path),
        rating_range=rating_range,
    )
    task.metric = metric
    task.truth_path = str(prepared.path.resolve())
    task.truth_sha256 = prepared.sha256
    _keep_scale(task, prepared)
    return task


def _keep_scale(task: Task, prepared: PreparedTruth) -> None:
    """The classes and rating scale the scorer will use, kept for the upload check and rules."""
    task.classes = list(prepared.classes) or None
    task.rating_min, task.rating_max = prepared.rating_range or (None, None)


def start_rescore(session: Session, task: Task, user_id: int | None) -> RescoreRun:
    """A new rescore run for ``task``; refused while another one is under way."""
    busy = session.scalars(
        select(RescoreRun).where(RescoreRun.task_id == task.id, RescoreRun.status.in_(RUN_BUSY))
    ).first()
    if busy is not None:
        if busy.status == RunStatus.RUNNING:
            raise SetupError("Rescore run %(run)d of this task is still running.", run=busy.id)
        raise SetupError("Rescore run %(run)d of this task is still queued.", run=busy.id)
    run = RescoreRun(task_id=task.id, requested_by=user_id, status=RunStatus.QUEUED)
    session.add(run)
    session.flush()
    return run


@dataclass
class Credential:
    team: str
    name: str
    email: str
    password: str
    invite_code: str


def read_team_file(path: Path) -> pd.DataFrame:
    """The roster as text: CSV (UTF-8 or CP949) or XLSX, columns team, affiliation, name, email."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(io.BytesIO(path.read_bytes()), dtype=str).fillna("")
        frame.columns = [str(c).strip().lower() for c in frame.columns]
    else:
        frame = read_table(path.read_bytes(), path.name)
        frame.columns = [c.lower() for c in frame.columns]
    missing = [c for c in TEAM_COLUMNS if c not in frame.columns]
    if missing:
        raise SetupError(
            "%(file)s: missing column(s) %(columns)s.", file=path.name, columns=", ".join(missing)
        )
    frame = frame[TEAM_COLUMNS].apply(lambda col: col.str.strip())
    if (frame["team"] == "").any() or (frame["email"] == "").any():
        raise SetupError("%(file)s: every row needs a team and an e-mail.", file=path.name)
    # What the columns hold (PostgreSQL refuses longer text and any NUL: a 500, not a message).
    widths = {"team": Team.name, "affiliation": Team.affiliation, "name": User.name}
    for column, width in {**widths, "email": User.email}.items():
        limit = width.type.length
        bad = frame[column].str.len().gt(limit) | frame[column].str.contains("\x00", regex=False)
        if bad.any():
            raise SetupError(
                "%(file)s, row %(row)d: %(column)s must be at most %(limit)d characters, "
                "without NUL.",
                file=path.name,
                row=int(bad.to_numpy().argmax()) + 2,  # the header is row 1
                column=column,
                limit=limit,
            )
    return frame


def import_teams(session: Session, event: Event, roster: pd.DataFrame) -> Iterator[Credential]:
    """Create teams and participant accounts; yields one credential per imported member."""
    teams = {t.name: t for t in session.scalars(select(Team).where(Team.event_id == event.id))}
    for row in roster.itertuples(index=False):
        team = teams.get(row.team)
        if team is None:
            team = Team(
                event_id=event.id,
                name=row.team,
                affiliation=row.affiliation,
                invite_code=spreadsheet_safe_token(6),  # goes out in a CSV
            )
            session.add(team)
            session.flush()
            teams[row.team] = team
        email = row.email.lower()
        user = session.scalars(select(User).where(User.email == email)).first()
        password = ""
        if user is None:
            user, password = create_user(
                session, email, Role.PARTICIPANT, name=row.name, affiliation=row.affiliation
            )
        member = session.scalars(
            select(TeamMember).where(TeamMember.user_id == user.id, TeamMember.event_id == event.id)
        ).first()
        if member is not None and member.team_id != team.id:
            raise SetupError(
                "%(email)s is already in another team of %(event)s.",
                email=email,
                event=repr(event.slug),
            )
        if member is None:
            session.add(TeamMember(event_id=event.id, team_id=team.id, user_id=user.id))
            session.flush()
        yield Credential(
            row.team, row.name, email, password or _("(existing account)"), team.invite_code
        )

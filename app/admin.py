"""Organizer operations shared by the CLI and (later) the console: events, tasks, teams."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.messages import translate as _
from app.models import Event, RescoreRun, Role, Task, Team, TeamMember, User
from app.security import create_user
from judge.errors import TranslatableError
from judge.metrics import get_metric
from judge.reader import read_table
from judge.truth import prepare_truth
from scoreboard.boards import ensure_board_states

TEAM_COLUMNS = ["team", "affiliation", "name", "email"]


class SetupError(TranslatableError, ValueError):
    """An organizer's set-up request refused; the message says what to change."""


def parse_time(text: str, timezone: str) -> datetime:
    """ISO 8601; a time without an offset is read in the event's timezone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SetupError("Not an ISO 8601 time: %(text)s.", text=repr(text)) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
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
    )
    session.add(event)
    session.flush()
    return event


def freeze_event(event: Event, now: datetime) -> None:
    """Freeze the public board now (or keep an earlier freeze); the clock pushes it."""
    if now >= event.end_at:
        raise SetupError("The event has ended; the board is final until the reveal.")
    if event.freeze_at is None or event.freeze_at > now:
        event.freeze_at = now


def unfreeze_event(event: Event) -> None:
    """Lift the freeze: public views catch up with everything scored meanwhile."""
    event.freeze_at = None


def event_by_slug(session: Session, slug: str) -> Event:
    event = session.scalars(select(Event).where(Event.slug == slug)).first()
    if event is None:
        raise SetupError("No event %(event)s.", event=repr(slug))
    return event


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
    public_fraction: float = 0.3,
    usage_column: str | None = None,
    daily_limit: int | None = 5,
    total_limit: int | None = None,
    final_picks: int = 2,
    title: str = "",
    max_file_mb: float | None = None,
    decimals: int = 5,
) -> Task:
    get_metric(metric)
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
) -> Task:
    """Replace a task's ground truth (same ids, same split) and/or metric; rescore after."""
    metric = metric or task.metric
    get_metric(metric)
    source = truth or Path(task.truth_path)
    prepared = prepare_truth(
        source,
        storage_dir / "truth",
        id_column=task.id_column,
        target_column=task.target_column,
        metric=metric,
        keep_split_of=Path(task.truth_path),
    )
    task.metric = metric
    task.truth_path = str(prepared.path.resolve())
    task.truth_sha256 = prepared.sha256
    return task


def start_rescore(session: Session, task: Task, user_id: int | None) -> RescoreRun:
    """A new rescore run for ``task``; refused while another one is under way."""
    busy = session.scalars(
        select(RescoreRun).where(
            RescoreRun.task_id == task.id, RescoreRun.status.in_(("queued", "running"))
        )
    ).first()
    if busy is not None:
        if busy.status == "running":
            raise SetupError("Rescore run %(run)d of this task is still running.", run=busy.id)
        raise SetupError("Rescore run %(run)d of this task is still queued.", run=busy.id)
    run = RescoreRun(task_id=task.id, requested_by=user_id, status="queued")
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
                invite_code=secrets.token_urlsafe(6),
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

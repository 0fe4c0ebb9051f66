"""Events: their address, times, time zone and freeze."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from core.db import iso
from core.models import Event
from judge.standings import recount_frozen
from organize import SetupError

# Event and task addresses: lower-case letters and digits, joined by single hyphens. The form
# field carries the same pattern (valid with the HTML pattern attribute's ``v`` flag).
SLUG_PATTERN = "[a-z0-9]+(-[a-z0-9]+)*"
SLUG_MAX = 100
EARLIEST, LATEST = datetime(1970, 1, 2), datetime(2999, 12, 30)  # event times, any offset


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
        "prize_places": event.prize_places,
        "code_deadline": iso(event.code_deadline),
        "project_deadline": iso(event.project_deadline),
        "require_project": event.require_project,
        "verify_tolerance": event.verify_tolerance,
    }


MAX_PRIZE_PLACES = 100


def check_prize_places(value: object) -> int:
    """The prize zone's size: a whole number from 0 (no zone) to 100."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PRIZE_PLACES:
        raise SetupError("The prize places must be a whole number from 0 to 100.")
    return value


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
        _move_freeze(event, now)


def unfreeze_event(event: Event, now: datetime) -> None:
    """Lift the freeze in force: public views catch up with everything scored meanwhile.

    A freeze still scheduled for later stays scheduled; one whose moment has passed is lifted
    with it (the organizer asked for an unfrozen board now).
    """
    scheduled = event.freeze_scheduled_at
    _move_freeze(event, scheduled if scheduled is not None and scheduled > now else None)


def schedule_freeze(event: Event, moment: datetime | None, now: datetime) -> None:
    """Set (or clear) the scheduled freeze; a manual freeze in force now stays in force."""
    event.freeze_scheduled_at = moment
    manual = event.freeze_at is not None and event.freeze_at <= now
    if not manual or (moment is not None and moment <= event.freeze_at):
        _move_freeze(event, moment)


def _move_freeze(event: Event, moment: datetime | None) -> None:
    """Freeze the public board at ``moment`` (None: not at all), and recount the teams'
    standings as of it in the same transaction: the frozen board reads them."""
    if event.freeze_at == moment:
        return
    event.freeze_at = moment
    session = object_session(event)
    if session is not None:
        for task in event.tasks:
            recount_frozen(session, task)


def event_by_slug(session: Session, slug: str) -> Event:
    event = session.scalars(select(Event).where(Event.slug == slug)).first()
    if event is None:
        raise SetupError("No event %(event)s.", event=repr(slug))
    return event

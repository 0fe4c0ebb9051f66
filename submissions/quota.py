"""Quota windows in the event's timezone (SPEC §3 rule 3) — pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def day_window(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The UTC bounds of the event-local calendar day containing ``now``."""
    tz = ZoneInfo(timezone)
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    end = start + timedelta(days=1)  # wall-clock arithmetic: DST-safe midnight
    return start.astimezone(UTC), end.astimezone(UTC)


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds()) + 1)

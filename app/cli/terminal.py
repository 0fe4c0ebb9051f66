"""What the organizer commands print for a person at a terminal: tables lined up by display
width, and moments on the event's clock."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def event_time(moment: datetime, timezone: str, *, offset: bool = True) -> str:
    """``moment`` as the event's organizers read the wall clock: in the event's time zone, named
    (``2026-12-06 17:00:00 KST (UTC+09:00)``), never the server's UTC. The offset says what a
    zone's abbreviation leaves open (IST, CST); ``offset=False`` for a table's narrow column."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the database holds UTC (core.db.UTCDateTime)
    local = moment.astimezone(ZoneInfo(timezone))
    text = f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"
    if not offset:
        return text
    shift = local.isoformat()[-6:]  # "+09:00": isoformat writes the offset with its colon
    return f"{text} (UTC{shift})"


# Display width from the standard library's East Asian Width table, not the wcwidth package:
# a new dependency means a new lock (README, "Installs are locked") for what one table needs,
# and for team names (Hangul, CJK, Latin) the table gives the same answer.
def char_width(char: str) -> int:
    """Terminal columns one character takes: 2 for wide (Hangul, CJK, fullwidth), 0 for marks
    that combine with the one before, 1 otherwise (ambiguous ones too, as non-CJK locales do)."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes."""
    return sum(char_width(c) for c in text)


CUT = "..."  # not "…": its width is ambiguous, two columns in many Korean terminals


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, ``...`` marking the cut."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        if used + char_width(char) > width - len(CUT):
            break
        kept.append(char)
        used += char_width(char)
    return "".join(kept) + CUT


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Lines of a table whose columns start (left-aligned) or end (the ``right`` ones) at the
    same terminal column in every line, whatever the width of the characters in them."""
    lines = [list(header), *(list(row) for row in rows)]
    widths = [max(display_width(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        cells = []
        for i, cell in enumerate(line):
            fill = " " * (widths[i] - display_width(cell))
            cells.append(fill + cell if i in right else cell + fill)
        out.append("  ".join(cells).rstrip())
    return out

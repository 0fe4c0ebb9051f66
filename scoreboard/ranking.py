"""The ranking rules of SPEC §3 as pure functions over plain rows (no database, no Flask)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    """One submission as the ranking sees it."""

    submission_id: int
    team_id: int
    team: str
    created_at: datetime
    public_score: float | None
    private_score: float | None = None
    final: bool = False
    scored: bool = True  # False for queued/invalid: counts as an attempt, never ranks


@dataclass(frozen=True)
class Row:
    rank: int
    team_id: int
    team: str
    score: float
    submission_id: int
    submissions: int
    last_submission_at: datetime
    best_at: datetime | None = None  # created_at of the submission that reached ``score``


def rankable(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def order_key(
    score: float, created_at: datetime, submission_id: int, higher_is_better: bool
) -> tuple[float, datetime, int]:
    """Rule 1's order, the one Python definition: better score first; ties by the earlier
    submission, then the lower id. (``scoreboard.queries._order`` is its SQL form, checked
    against these rules by tests/scoreboard/test_queries.py.)"""
    return (-score if higher_is_better else score, created_at, submission_id)


def _order_key(score: float, entry: Entry, higher_is_better: bool) -> tuple[float, datetime, int]:
    return order_key(score, entry.created_at, entry.submission_id, higher_is_better)


def _rank(
    best: dict[int, tuple[float, Entry]],
    entries: list[Entry],
    higher_is_better: bool,
) -> list[Row]:
    counts: dict[int, int] = {}
    last: dict[int, datetime] = {}
    for e in entries:
        counts[e.team_id] = counts.get(e.team_id, 0) + 1
        if e.team_id not in last or e.created_at > last[e.team_id]:
            last[e.team_id] = e.created_at
    ordered = sorted(best.values(), key=lambda se: _order_key(se[0], se[1], higher_is_better))
    return [
        Row(
            rank=i,
            team_id=entry.team_id,
            team=entry.team,
            score=score,
            submission_id=entry.submission_id,
            submissions=counts[entry.team_id],
            last_submission_at=last[entry.team_id],
            best_at=entry.created_at,
        )
        for i, (score, entry) in enumerate(ordered, start=1)
    ]


def _best(
    entries: Iterable[Entry], value_of: str, higher_is_better: bool
) -> dict[int, tuple[float, Entry]]:
    best: dict[int, tuple[float, Entry]] = {}
    for e in entries:
        value = getattr(e, value_of)
        if not e.scored or not rankable(value):
            continue
        current = best.get(e.team_id)
        if current is None or _order_key(value, e, higher_is_better) < _order_key(
            current[0], current[1], higher_is_better
        ):
            best[e.team_id] = (value, e)
    return best


def public_board(entries: Iterable[Entry], higher_is_better: bool) -> list[Row]:
    """Rule 1: each team's best public score; ties by earlier submission, then lower id."""
    entries = list(entries)
    return _rank(_best(entries, "public_score", higher_is_better), entries, higher_is_better)


def auto_picks(entries: Iterable[Entry], k: int, higher_is_better: bool) -> list[Entry]:
    """A team's best ``k`` public submissions, for teams that picked none (rule 2)."""
    usable = [e for e in entries if e.scored and rankable(e.public_score)]
    usable.sort(key=lambda e: _order_key(e.public_score, e, higher_is_better))  # type: ignore[arg-type]
    return usable[:k]


def private_board(
    entries: Iterable[Entry], k: int, higher_is_better: bool, ended: bool
) -> list[Row]:
    """Rule 2: best private score among each team's final picks (auto-picked at the end)."""
    entries = list(entries)
    by_team: dict[int, list[Entry]] = {}
    for e in entries:
        by_team.setdefault(e.team_id, []).append(e)
    picks: list[Entry] = []
    for team_entries in by_team.values():
        chosen = [e for e in team_entries if e.final and e.scored][:k]
        if not chosen and ended:
            chosen = auto_picks(team_entries, k, higher_is_better)
        picks.extend(chosen)
    return _rank(_best(picks, "private_score", higher_is_better), entries, higher_is_better)

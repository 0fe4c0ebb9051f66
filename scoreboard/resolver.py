"""The reveal as pure functions: the frozen public board turns into the private board.

It works like the ICPC resolver. Every team shows its *current* mark: its private score once
revealed, its frozen public score until then. Teams are ordered by that mark, with the ranking
rule's tie-breaks (earlier submission, then lower id). Each step takes the lowest team not
yet revealed, swaps in its private mark and moves it to where that mark belongs. When every
team is revealed, the order is exactly the private board's.

Teams with no mark (no frozen public score, or no private score) are unranked and sit at the
bottom in name order. A team that only scored after the freeze starts there and is among the
first revealed.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scoreboard.ranking import Row

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Mark:
    """A score as the ranking orders it; times in whole microseconds (exact in JSON)."""

    score: float
    at_us: int
    submission_id: int


@dataclass(frozen=True)
class Contender:
    team_id: int
    team: str
    public: Mark | None  # frozen public board
    private: Mark | None  # private board


@dataclass(frozen=True)
class Step:
    step: int  # 1-based
    team_id: int
    team: str
    from_rank: int | None
    to_rank: int | None
    private_score: float | None


def microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _mark(row: Row) -> Mark:
    assert row.best_at is not None
    return Mark(row.score, microseconds(row.best_at), row.submission_id)


def contenders(frozen: Iterable[Row], private: Iterable[Row]) -> list[Contender]:
    """Every team on either board, with both of its marks."""
    public_marks = {r.team_id: (r.team, _mark(r)) for r in frozen}
    private_marks = {r.team_id: (r.team, _mark(r)) for r in private}
    teams = public_marks.keys() | private_marks.keys()
    out = []
    for team_id in sorted(teams):
        name = (public_marks.get(team_id) or private_marks[team_id])[0]
        out.append(
            Contender(
                team_id=team_id,
                team=name,
                public=public_marks.get(team_id, (None, None))[1],
                private=private_marks.get(team_id, (None, None))[1],
            )
        )
    return out


SortKey = tuple[Any, ...]


def _key(contender: Contender, revealed: bool, higher_is_better: bool) -> SortKey:
    mark = contender.private if revealed else contender.public
    if mark is None:
        return (1, contender.team, contender.team_id)
    score = -mark.score if higher_is_better else mark.score
    return (0, score, mark.at_us, mark.submission_id, contender.team_id)


def _rank(key: SortKey, index: int) -> int | None:
    return index + 1 if key[0] == 0 else None


def plan(teams: Sequence[Contender], higher_is_better: bool) -> list[Step]:
    """The reveal steps: bottom-up, one team each, with its move."""
    by_id = {c.team_id: c for c in teams}
    keys = sorted(_key(c, False, higher_is_better) for c in teams)
    hidden = set(by_id)
    steps: list[Step] = []
    while hidden:
        index = max(i for i, key in enumerate(keys) if key[-1] in hidden)
        old = keys.pop(index)
        team = by_id[old[-1]]
        hidden.discard(team.team_id)
        new = _key(team, True, higher_is_better)
        at = bisect.bisect_left(keys, new)
        keys.insert(at, new)
        steps.append(
            Step(
                step=len(steps) + 1,
                team_id=team.team_id,
                team=team.team,
                from_rank=_rank(old, index),
                to_rank=_rank(new, at),
                private_score=team.private.score if team.private else None,
            )
        )
    return steps


def standings(
    teams: Sequence[Contender], revealed: set[int], higher_is_better: bool
) -> list[dict[str, Any]]:
    """The board on the projector once the teams in ``revealed`` are revealed."""
    keyed = sorted((_key(c, c.team_id in revealed, higher_is_better), c) for c in teams)
    rows = []
    for index, (key, team) in enumerate(keyed):
        is_revealed = team.team_id in revealed
        mark = team.private if is_revealed else team.public
        rows.append(
            {
                "rank": _rank(key, index),
                "team": team.team,
                "score": mark.score if mark else None,
                "revealed": is_revealed,
            }
        )
    return rows


def dump(teams: Sequence[Contender], steps: Sequence[Step]) -> dict[str, Any]:
    """The plan as JSON-ready data (stored when the reveal starts, so it never shifts)."""
    return {"teams": [asdict(t) for t in teams], "steps": [asdict(s) for s in steps]}


def load(data: dict[str, Any]) -> tuple[list[Contender], list[Step]]:
    def mark(raw: dict[str, Any] | None) -> Mark | None:
        return Mark(**raw) if raw else None

    teams = [
        Contender(t["team_id"], t["team"], mark(t["public"]), mark(t["private"]))
        for t in data["teams"]
    ]
    return teams, [Step(**s) for s in data["steps"]]

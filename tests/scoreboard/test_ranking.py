"""SPEC §3 rules 1 and 2 as pure functions."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from scoreboard.ranking import Entry, auto_picks, private_board, public_board

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def entry(sid: int, team: int, score: float | None, minutes: int = 0, **kw: object) -> Entry:
    return Entry(
        submission_id=sid,
        team_id=team,
        team=f"team{team}",
        created_at=T0 + timedelta(minutes=minutes),
        public_score=score,
        **kw,  # type: ignore[arg-type]
    )


def test_best_public_score_per_team_higher_is_better() -> None:
    rows = public_board([entry(1, 1, 0.7), entry(2, 1, 0.9), entry(3, 2, 0.8)], True)
    assert [(r.team_id, r.score, r.submission_id) for r in rows] == [(1, 0.9, 2), (2, 0.8, 3)]
    assert [r.rank for r in rows] == [1, 2]


def test_lower_is_better_picks_the_minimum() -> None:
    rows = public_board([entry(1, 1, 3.0), entry(2, 1, 2.0), entry(3, 2, 2.5)], False)
    assert [(r.team_id, r.score) for r in rows] == [(1, 2.0), (2, 2.5)]


def test_tie_breaks_by_earlier_submission_time() -> None:
    rows = public_board([entry(1, 1, 0.9, minutes=5), entry(2, 2, 0.9, minutes=1)], True)
    assert [r.team_id for r in rows] == [2, 1]
    assert [r.rank for r in rows] == [1, 2]


def test_tie_at_same_time_breaks_by_lower_submission_id() -> None:
    rows = public_board([entry(8, 1, 0.9), entry(7, 2, 0.9)], True)
    assert [r.submission_id for r in rows] == [7, 8]


def test_within_a_team_the_earliest_submission_reaching_the_best_score_counts() -> None:
    rows = public_board([entry(5, 1, 0.9, minutes=9), entry(3, 1, 0.9, minutes=2)], True)
    assert rows[0].submission_id == 3


def test_unscored_teams_and_nan_never_rank_but_attempts_count() -> None:
    entries = [
        entry(1, 1, math.nan),
        entry(2, 2, None, scored=False),
        entry(3, 3, 0.5),
        entry(4, 3, None, minutes=30, scored=False),
    ]
    rows = public_board(entries, True)
    assert [r.team_id for r in rows] == [3]
    assert rows[0].submissions == 2
    assert rows[0].last_submission_at == T0 + timedelta(minutes=30)


def test_empty_board() -> None:
    assert public_board([], True) == []


def test_private_board_uses_final_picks_and_their_best_private_score() -> None:
    entries = [
        entry(1, 1, 0.9, private_score=0.70, final=False),
        entry(2, 1, 0.8, private_score=0.85, final=True),
        entry(3, 2, 0.7, private_score=0.80, final=True),
    ]
    rows = private_board(entries, 2, True, ended=True)
    assert [(r.team_id, r.score) for r in rows] == [(1, 0.85), (2, 0.80)]


def test_teams_without_picks_get_their_best_k_public_at_the_end_only() -> None:
    entries = [
        entry(1, 1, 0.9, private_score=0.60),
        entry(2, 1, 0.8, private_score=0.95),
        entry(3, 1, 0.7, private_score=0.99),
    ]
    assert [e.submission_id for e in auto_picks(entries, 2, True)] == [1, 2]
    assert private_board(entries, 2, True, ended=False) == []
    rows = private_board(entries, 2, True, ended=True)
    assert rows[0].score == 0.95 and rows[0].submission_id == 2


def test_private_ties_break_like_public() -> None:
    entries = [
        entry(1, 1, 0.9, private_score=0.8, final=True, minutes=3),
        entry(2, 2, 0.9, private_score=0.8, final=True, minutes=1),
    ]
    assert [r.team_id for r in private_board(entries, 1, True, ended=True)] == [2, 1]

"""The reveal plan (ICPC-resolver style) as pure functions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoreboard import resolver
from scoreboard.ranking import Entry, private_board, public_board

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def entry(sub: int, team: int, minutes: int, public: float, private: float) -> Entry:
    return Entry(sub, team, f"team{team}", T0 + timedelta(minutes=minutes), public, private)


def test_hand_worked_reveal() -> None:
    # Frozen public: A .90, B .85, C .80. Private: A .70, B .88, C .86; D scored only after
    # the freeze (.95) and starts unranked at the bottom.
    frozen = [entry(1, 1, 1, 0.90, 0.70), entry(2, 2, 2, 0.85, 0.88), entry(3, 3, 3, 0.80, 0.86)]
    everything = [*frozen, entry(4, 4, 50, 0.60, 0.95)]
    teams = resolver.contenders(
        public_board(frozen, True), private_board(everything, 1, True, ended=True)
    )
    steps = resolver.plan(teams, higher_is_better=True)
    # D: unranked → 1st. C (.80, 4th) → .86 passes B's frozen .85: 3rd. B (.85, 4th) → .88:
    # 3rd, above C. A (.90, 2nd) → .70: last.
    assert [(s.team, s.from_rank, s.to_rank, s.private_score) for s in steps] == [
        ("team4", None, 1, 0.95),
        ("team3", 4, 3, 0.86),
        ("team2", 4, 3, 0.88),
        ("team1", 2, 4, 0.70),
    ]
    start = resolver.standings(teams, set(), True)
    assert [(r["rank"], r["team"], r["score"]) for r in start] == [
        (1, "team1", 0.90),
        (2, "team2", 0.85),
        (3, "team3", 0.80),
        (None, "team4", None),
    ]
    end = resolver.standings(teams, {1, 2, 3, 4}, True)
    assert [r["team"] for r in end] == ["team4", "team2", "team3", "team1"]
    assert all(r["revealed"] for r in end)


def test_a_team_without_private_score_ends_unranked() -> None:
    # Lower is better (rmse); team 2's pick has no private score (NaN never ranks).
    rows = [entry(1, 1, 1, 3.0, 2.5), entry(2, 2, 2, 2.0, float("nan"))]
    teams = resolver.contenders(
        public_board(rows, False), private_board(rows, 1, False, ended=True)
    )
    steps = resolver.plan(teams, higher_is_better=False)
    # team1's 2.5 still trails team2's frozen 2.0; then team2 drops out and team1 leads.
    assert [(s.team, s.from_rank, s.to_rank) for s in steps] == [
        ("team1", 2, 2),
        ("team2", 1, None),
    ]
    end = resolver.standings(teams, {1, 2}, False)
    assert [(r["rank"], r["team"]) for r in end] == [(1, "team1"), (None, "team2")]


def test_plan_survives_storage_round_trip() -> None:
    rows = [
        entry(i, i % 4, i, random.Random(i).random(), random.Random(-i).random())
        for i in range(1, 12)
    ]
    teams = resolver.contenders(public_board(rows, True), private_board(rows, 2, True, ended=True))
    steps = resolver.plan(teams, True)
    assert resolver.load(resolver.dump(teams, steps)) == (teams, steps)


scores = st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 2))  # ties happen


@pytest.mark.slow  # seconds of generated reveals
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 100), scores, scores, st.booleans()),
        max_size=40,
    ),
    st.integers(1, 3),
    st.booleans(),
    st.integers(0, 100),
)
def test_reveal_ends_on_the_private_board(
    raw: list, picks: int, higher: bool, freeze_minute: int
) -> None:
    entries = [
        Entry(i + 1, team, f"t{team}", T0 + timedelta(minutes=m), pub, priv, final)
        for i, (team, m, pub, priv, final) in enumerate(raw)
    ]
    frozen = public_board(
        [e for e in entries if e.created_at < T0 + timedelta(minutes=freeze_minute)], higher
    )
    private = private_board(entries, picks, higher, ended=True)
    teams = resolver.contenders(frozen, private)
    steps = resolver.plan(teams, higher)

    assert sorted(s.team_id for s in steps) == sorted(c.team_id for c in teams)
    revealed: set[int] = set()
    for step in steps:
        before = resolver.standings(teams, revealed, higher)
        # Bottom-up: the step's team is the lowest one not yet revealed.
        assert [r["team"] for r in before if not r["revealed"]][-1] == step.team
        assert next(r["rank"] for r in before if r["team"] == step.team) == step.from_rank
        revealed.add(step.team_id)
        after = resolver.standings(teams, revealed, higher)
        assert next(r["rank"] for r in after if r["team"] == step.team) == step.to_rank
    final = resolver.standings(teams, revealed, higher)
    ranked = [(r["rank"], r["team"], r["score"]) for r in final if r["rank"] is not None]
    assert ranked == [(r.rank, r.team, r.score) for r in private]

"""Rubric totals, normalisation and the blend on small hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from review.scoring import (
    FEWER_THAN_3,
    NO_SPREAD,
    Criterion,
    board_percentiles,
    final_ranking,
    normalise,
    percentiles,
    review_scores,
    weighted_total,
)

CRITERIA = [
    Criterion(1, "기술성", 40, 10),
    Criterion(2, "창의성", 30, 10),
    Criterion(3, "완성도", 30, 5),
]


def test_weighted_total() -> None:
    # 100 × (40×8/10 + 30×6/10 + 30×5/5) / 100 = 32 + 18 + 30 = 80
    assert weighted_total({1: 8, 2: 6, 3: 5}, CRITERIA) == pytest.approx(80)
    with pytest.raises(ValueError, match="not scored yet: 완성도"):
        weighted_total({1: 8, 2: 6}, CRITERIA)
    with pytest.raises(ValueError, match="outside 0–5"):
        weighted_total({1: 8, 2: 6, 3: 6}, CRITERIA)


def test_normalise_and_flags() -> None:
    totals = {
        # judge 1: 60, 70, 80 → mean 70, population std √(200/3) = 8.16497
        (1, 10): 60.0,
        (1, 11): 70.0,
        (1, 12): 80.0,
        # judge 2: scores everything 90: no spread → z 0, flagged
        (2, 10): 90.0,
        (2, 11): 90.0,
        (2, 12): 90.0,
        # judge 3: two scores 50, 70 → mean 60, std 10 → z −1, +1; fewer than 3, flagged
        (3, 11): 50.0,
        (3, 12): 70.0,
    }
    z, judges = normalise(totals)
    assert z[(1, 10)] == pytest.approx(-10 / 8.16497, rel=1e-5)
    assert z[(1, 11)] == 0
    assert z[(2, 10)] == z[(2, 11)] == 0
    assert (z[(3, 11)], z[(3, 12)]) == (pytest.approx(-1), pytest.approx(1))
    assert judges[1].flags == () and judges[2].flags == (NO_SPREAD,)
    assert judges[3].flags == (FEWER_THAN_3,) and judges[3].count == 2
    review = review_scores(z)
    # team 10: (−1.22474 + 0) / 2; team 11: (0 + 0 − 1) / 3; team 12: (1.22474 + 0 + 1) / 3
    assert review[10] == pytest.approx(-1.22474 / 2, rel=1e-4)
    assert review[11] == pytest.approx(-1 / 3)
    assert review[12] == pytest.approx(2.22474 / 3, rel=1e-4)


def test_percentiles_share_ties() -> None:
    # Ranks 1, 2.5, 2.5, 4 of four → 1 − (r − 1)/3 = 1, 0.5, 0.5, 0
    assert percentiles({1: 9.0, 2: 5.0, 3: 5.0, 4: 1.0}) == {1: 1.0, 2: 0.5, 3: 0.5, 4: 0.0}
    assert percentiles({7: 3.0}) == {7: 1.0}
    # Board order 3, 1; team 2 is not on the board → 0; three teams in review.
    assert board_percentiles([3, 9, 1], [1, 2, 3]) == {3: 1.0, 1: 0.5, 2: 0.0}


def test_final_blend_and_ties() -> None:
    t0 = datetime(2026, 11, 28, 9, tzinfo=UTC)
    tasks = {
        1: {"a": 1.0, "b": 0.0},  # auto 0.5
        2: {"a": 0.5, "b": 0.5},  # auto 0.5 (equal to team 1), earlier best submission
        3: {"a": 0.0, "b": 1.0},  # auto 0.5
        4: {"a": 0.0, "b": 0.0},  # auto 0
    }
    review = {1: 0.4, 2: 0.4, 3: -0.2, 4: 1.5}
    best = {1: t0.replace(hour=12), 2: t0.replace(hour=10), 3: t0.replace(hour=11), 4: None}
    rows = final_ranking([1, 2, 3, 4], tasks, review, best, 0.7, 0.3)
    # review percentiles: 4 → 1; 1, 2 tie for ranks 2–3 → 0.5 each; 3 → 0.
    # final: 1 and 2: 0.7×0.5 + 0.3×0.5 = 0.5; 3: 0.35; 4: 0.3.
    # auto ranks (0.5, 0.5, 0.5, 0) by earlier best: 2 (10h), 3 (11h), 1 (12h), 4.
    assert [(r.team_id, round(r.final, 6), r.auto_rank) for r in rows] == [
        (2, 0.5, 1),
        (1, 0.5, 3),
        (3, 0.35, 2),
        (4, 0.3, 4),
    ]
    assert rows[0].task_percentiles == {"a": 0.5, "b": 0.5} and rows[0].review == 0.5
    # Review only: team 4 leads; a team no judge scored ranks last on review.
    only_review = final_ranking([1, 2, 3, 4], tasks, {1: 0.4, 4: 1.5}, best, 0, 1)
    assert [r.team_id for r in only_review][0] == 4
    assert {r.team_id: r.review for r in only_review}[2] == {
        r.team_id: r.review for r in only_review
    }[3]
    with pytest.raises(ValueError):
        final_ranking([1], tasks, review, best, 0, 0)

"""Shake-up and bootstrap rank intervals on small cases."""

from __future__ import annotations

import numpy as np
import pytest

from judge.metrics import get_metric
from review.statistics import rank_intervals, shake_up


def test_shake_up_hand_computed() -> None:
    # Public A B C D, private B A C D: one discordant pair of six → τ = (5 − 1) / 6 = 2/3.
    out = shake_up(["A", "B", "C", "D"], ["B", "A", "C", "D"])
    assert out["kendall_tau"] == pytest.approx(2 / 3)
    assert out["mean_abs_rank_change"] == pytest.approx(0.5)  # |1| + |−1| + 0 + 0, over 4
    assert [(m["team"], m["change"]) for m in out["movers"]] == [("B", 1), ("A", -1)]
    # A team on one board only is left out; a full reversal has τ = −1.
    assert shake_up(["A", "B", "X"], ["B", "A"])["kendall_tau"] == pytest.approx(-1)
    assert shake_up([], [])["kendall_tau"] is None


def test_clear_lead_has_a_tight_interval_and_noise_a_wide_one() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(0, 1, 2000)
    predictions = {
        1: y + rng.normal(0, 0.1, y.size),  # far ahead
        2: y + rng.normal(0, 1.0, y.size),  # these two are
        3: y + rng.normal(0, 1.0, y.size),  # indistinguishable
    }
    intervals = rank_intervals(get_metric("rmse"), y, predictions, 0, seed=1)
    assert intervals[1] == (1, 1)
    assert intervals[2] == (2, 3) and intervals[3] == (2, 3)
    again = rank_intervals(get_metric("rmse"), y, predictions, 0, seed=1)
    assert again == intervals  # seeded, reproducible


def test_label_metric_and_paired_resamples() -> None:
    y = np.array([0, 1] * 300)
    # Team 10 is team 11 with one more row right: paired resamples always keep it ahead or
    # equal, so its interval never goes below team 11's.
    better = y.copy()
    better[:100] = 1 - better[:100]
    worse = better.copy()
    worse[100] = 1 - worse[100]
    intervals = rank_intervals(get_metric("accuracy"), y, {10: better, 11: worse}, 2, seed=3)
    assert intervals[10][1] <= intervals[11][1] and intervals[10][0] == 1

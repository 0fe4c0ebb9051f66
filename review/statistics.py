"""Statistics judges can trust (SPEC §5): the public→private shake-up and bootstrap rank
intervals, as pure functions over arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from judge.bootstrap import EXACT_MAX_ROWS, index_resampler
from judge.metrics import Metric


def shake_up(public: Sequence[str], private: Sequence[str], movers: int = 5) -> dict[str, Any]:
    """Kendall τ and mean |Δrank| between two orders of the same teams (those on both)."""
    both = [t for t in private if t in set(public)]
    public_rank = {t: i for i, t in enumerate((t for t in public if t in set(both)), start=1)}
    private_rank = {t: i for i, t in enumerate(both, start=1)}
    deltas = {t: public_rank[t] - private_rank[t] for t in both}  # > 0: moved up
    tau = None
    if len(both) >= 2:
        tau = float(kendalltau([public_rank[t] for t in both], [private_rank[t] for t in both])[0])
    biggest = sorted(both, key=lambda t: (-abs(deltas[t]), private_rank[t]))[:movers]
    return {
        "teams": len(both),
        "kendall_tau": tau,
        "mean_abs_rank_change": float(np.mean([abs(d) for d in deltas.values()])) if both else None,
        "movers": [
            {
                "team": t,
                "public_rank": public_rank[t],
                "private_rank": private_rank[t],
                "change": deltas[t],
            }
            for t in biggest
            if deltas[t]
        ],
    }


def rank_intervals(
    metric: Metric,
    y_true: Any,
    predictions: Mapping[int, Any],
    n_classes: int,
    *,
    seed: int,
    resamples: int = 200,
    level: float = 0.95,
) -> dict[int, tuple[int, int]]:
    """Each team's rank interval over paired bootstrap resamples of the rows.

    The same resampled rows score every team (the paired design a lead must survive). Above
    ``EXACT_MAX_ROWS`` rows one random subsample of that size is shared by all teams first.
    A resample where a team's metric is undefined ranks it last.
    """
    teams = list(predictions)
    n = len(y_true)
    if not teams or n < 2:
        return {t: (1, 1) for t in teams}
    rng = np.random.default_rng(seed)
    rows = np.arange(n) if n <= EXACT_MAX_ROWS else rng.choice(n, EXACT_MAX_ROWS, replace=False)
    indices = rng.integers(0, len(rows), size=(resamples, len(rows)), dtype=np.intp)
    sign = 1.0 if metric.higher_is_better else -1.0
    values = np.empty((len(teams), resamples))
    for i, team in enumerate(teams):
        resampler = index_resampler(
            metric, _take(y_true, rows), _take(predictions[team], rows), n_classes
        )
        values[i] = sign * resampler(indices)
    values = np.where(np.isnan(values), -np.inf, values)
    # Rank 1 + the number of teams strictly better on that resample.
    ranks = 1 + (values[None, :, :] > values[:, None, :]).sum(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(ranks, [tail, 1 - tail], axis=1, method="nearest")
    return {t: (int(low[i]), int(high[i])) for i, t in enumerate(teams)}


def _take(values: Any, rows: np.ndarray) -> Any:
    if isinstance(values, np.ndarray):
        return values[rows]
    return [values[i] for i in rows]

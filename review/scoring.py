"""Rubric totals, per-judge normalisation and the final blend (SPEC §5), as pure functions.

- A judge's *total* for a team is the weighted mean of its criterion scores, each divided by
  the criterion's scale, times 100 (0–100).
- Judges score on their own scales, so each judge's totals become z-scores: (total − the
  judge's mean) / the judge's standard deviation (population). A judge with fewer than three
  scores, or whose scores are all equal, is *flagged* for the organizer; with no spread the
  judge's z-scores are 0 (no information), never silently dropped.
- A team's review score is the mean z-score of its judges. Both the automatic and the review
  part become a 0–1 percentile of rank among the teams in review (best 1, worst 0, ties
  sharing their average rank), and the final score is ``w_auto × auto + w_review × review``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

FEWER_THAN_3 = "fewer_than_3_scores"
NO_SPREAD = "no_spread"


@dataclass(frozen=True)
class Criterion:
    id: int
    name: str
    weight: float
    scale: float  # the highest score on this criterion (the lowest is 0)


def weighted_total(scores: Mapping[int, float], criteria: Sequence[Criterion]) -> float:
    """0–100: Σ weight × score / scale over Σ weight. Every criterion must be scored."""
    missing = [c.name for c in criteria if c.id not in scores]
    if missing:
        raise ValueError(f"not scored yet: {', '.join(missing)}")
    for c in criteria:
        if not 0 <= scores[c.id] <= c.scale:
            raise ValueError(f"{c.name}: {scores[c.id]:g} is outside 0–{c.scale:g}")
    weight = sum(c.weight for c in criteria)
    return 100 * sum(c.weight * scores[c.id] / c.scale for c in criteria) / weight


@dataclass(frozen=True)
class JudgeSummary:
    judge_id: int
    count: int
    mean: float
    std: float
    flags: tuple[str, ...]


Pair = tuple[int, int]  # (judge id, team id)


def normalise(totals: Mapping[Pair, float]) -> tuple[dict[Pair, float], dict[int, JudgeSummary]]:
    """Per-judge z-scores of the totals, and a summary (with flags) per judge."""
    by_judge: dict[int, list[Pair]] = {}
    for pair in totals:
        by_judge.setdefault(pair[0], []).append(pair)
    z: dict[Pair, float] = {}
    summaries: dict[int, JudgeSummary] = {}
    for judge_id, pairs in by_judge.items():
        values = [totals[p] for p in pairs]
        mean = statistics.fmean(values)
        std = statistics.pstdev(values)
        flags = []
        if len(values) < 3:
            flags.append(FEWER_THAN_3)
        if std == 0:
            flags.append(NO_SPREAD)
        for pair in pairs:
            z[pair] = (totals[pair] - mean) / std if std > 0 else 0.0
        summaries[judge_id] = JudgeSummary(judge_id, len(values), mean, std, tuple(flags))
    return z, summaries


def review_scores(z: Mapping[Pair, float]) -> dict[int, float]:
    """Each team's mean z-score over its judges."""
    by_team: dict[int, list[float]] = {}
    for (_judge, team), value in z.items():
        by_team.setdefault(team, []).append(value)
    return {team: statistics.fmean(values) for team, values in by_team.items()}


def percentiles(values: Mapping[int, float]) -> dict[int, float]:
    """0–1 percentile of rank, higher value better: best 1, worst 0, ties share."""
    n = len(values)
    if n == 1:
        return {team: 1.0 for team in values}
    ordered = sorted(values, key=lambda t: -values[t])
    out: dict[int, float] = {}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and values[ordered[j + 1]] == values[ordered[i]]:
            j += 1
        average_rank = (i + j) / 2  # 0-based
        for team in ordered[i : j + 1]:
            out[team] = 1 - average_rank / (n - 1)
        i = j + 1
    return out


def board_percentiles(ranked_team_ids: Sequence[int], teams: Sequence[int]) -> dict[int, float]:
    """A task's private board as percentiles among ``teams``; a team not on it gets 0."""
    on_board = [t for t in ranked_team_ids if t in set(teams)]
    n = len(teams)
    out = {t: 0.0 for t in teams}
    for position, team in enumerate(on_board):
        out[team] = 1.0 if n == 1 else 1 - position / (n - 1)
    return out


@dataclass(frozen=True)
class FinalRow:
    rank: int
    team_id: int
    final: float
    auto: float
    review: float
    auto_rank: int
    review_score: float | None
    task_percentiles: dict[str, float] = field(default_factory=dict)
    best_at: datetime | None = None


def final_ranking(
    teams: Sequence[int],
    task_percentiles: Mapping[int, Mapping[str, float]],
    review: Mapping[int, float],
    best_at: Mapping[int, datetime | None],
    w_auto: float = 0.7,
    w_review: float = 0.3,
) -> list[FinalRow]:
    """The final ranking of the teams in review, with the numbers behind each row."""
    if w_auto < 0 or w_review < 0 or w_auto + w_review <= 0:
        raise ValueError("weights must be non-negative and not both zero")
    auto = {
        t: statistics.fmean(task_percentiles[t].values()) if task_percentiles.get(t) else 0.0
        for t in teams
    }
    # A team no judge scored ranks below every reviewed team on the review part.
    floor = min(review.values(), default=0.0) - 1.0
    review_pct = percentiles({t: review.get(t, floor) for t in teams})
    auto_order = sorted(teams, key=lambda t: (-auto[t], _time_key(best_at.get(t)), t))
    auto_rank = {t: i for i, t in enumerate(auto_order, start=1)}
    blended = {t: w_auto * auto[t] + w_review * review_pct[t] for t in teams}
    # Ties: the better auto rank (which already breaks on the earlier best submission).
    order = sorted(teams, key=lambda t: (-_rounded(blended[t]), auto_rank[t]))
    return [
        FinalRow(
            rank=i,
            team_id=t,
            final=blended[t],
            auto=auto[t],
            review=review_pct[t],
            auto_rank=auto_rank[t],
            review_score=review.get(t),
            task_percentiles=dict(task_percentiles.get(t, {})),
            best_at=best_at.get(t),
        )
        for i, t in enumerate(order, start=1)
    ]


def _rounded(value: float) -> float:
    # Equal blends reached by different sums may differ in the last bits (0.1 + 0.2 ≠ 0.3).
    return round(value, 12)


def _time_key(moment: datetime | None) -> tuple[int, float]:
    return (1, math.inf) if moment is None else (0, moment.timestamp())

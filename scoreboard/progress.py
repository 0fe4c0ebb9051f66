"""Score over time: each team's best public score after every improvement (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from scoreboard.ranking import Entry, rankable


def best_over_time(
    entries: Iterable[Entry], team_ids: Iterable[int], higher_is_better: bool
) -> dict[int, list[tuple[datetime, float]]]:
    """For each team, the (time, best score so far) points where its best improved."""
    wanted = set(team_ids)
    series: dict[int, list[tuple[datetime, float]]] = {t: [] for t in wanted}
    ordered = sorted(
        (e for e in entries if e.team_id in wanted and e.scored and rankable(e.public_score)),
        key=lambda e: (e.created_at, e.submission_id),
    )
    for e in ordered:
        points = series[e.team_id]
        score = float(e.public_score)  # type: ignore[arg-type]
        if not points or (score > points[-1][1] if higher_is_better else score < points[-1][1]):
            points.append((e.created_at, score))
    return series

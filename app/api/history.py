"""Score-over-time series of the leading teams, for the projector's chart."""

from __future__ import annotations

from flask import Response, jsonify, request

from app.api import bp
from app.lookup import event_or_404, session, task_from_args
from core.db import iso, utcnow
from judge.metrics import get_metric
from scoreboard.boards import load_entries, public_frozen
from scoreboard.progress import best_over_time
from scoreboard.queries import board_rows

MAX_TEAMS = 10


@bp.get("/events/<event_slug>/history")
def history(event_slug: str) -> Response:
    """Best public score over time of the top teams, as the public board shows them."""
    event = event_or_404(event_slug)
    task = task_from_args(event)
    top = max(1, min(request.args.get("top", 5, type=int) or 5, MAX_TEAMS))
    higher = get_metric(task.metric).higher_is_better
    # Everyone gets the public view here, frozen like the public board (rule 5).
    now = utcnow()
    frozen = public_frozen(event, task, now)
    before = event.freeze_at if frozen else None
    board, _ = board_rows(
        session(),
        task,
        private=False,
        before=before,
        staff=False,
        higher_is_better=higher,
        ended=False,
    )
    leaders = board[:top]
    team_ids = [r.team_id for r in leaders]
    entries, _ = load_entries(session(), task, before=before, staff=False, team_ids=team_ids)
    series = best_over_time(entries, team_ids, higher)
    return jsonify(
        {
            "event": event.slug,
            "task": task.slug,
            "frozen": frozen,
            # The moment the series run to: the freeze, the end, or now.
            "until": iso(min(event.freeze_at if frozen else now, event.end_at)),
            "decimals": task.decimals,
            "series": [
                {
                    "team": row.team,
                    "rank": row.rank,
                    "points": [[iso(at), score] for at, score in series[row.team_id]],
                }
                for row in leaders
            ],
        }
    )

"""A review round cut short, for tests that need the final ranking published (awards, the
gallery, certificates): 팀0 > 팀1 > 팀2 on the private board and in every judge's scores.
Works in process (``Api(client, …)``) and against a spawned server (``Api(server, …)``:
pass ``move`` that changes the event in that server's database)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from core.db import utcnow
from tests.actions import Api, _json
from tests.helpers import Contest, move_event


def _ok(reply: Any, status: int = 200) -> Any:
    assert reply.status_code == status, _json(reply)
    return _json(reply)


def lock_review(
    api: Api, contest: Contest, move: Callable[..., None] = move_event, entered: bool = False
) -> None:
    """Entries (unless ``entered``), the end, one criterion, the one judge on every team,
    scores, the reveal, the lock."""
    organizer, judge = contest.staff_tokens["organizer"], contest.staff_tokens["judge"]
    base = f"/api/v1/events/{contest.event}"
    if not entered:
        for i, team in enumerate(("팀0", "팀1", "팀2")):
            api.entry(team, [0.1, 1.0, 3.0][i])
    move(end_at=utcnow() - timedelta(seconds=1), judges_per_team=1)
    criterion = _ok(
        api._call("POST", f"{base}/criteria", organizer, json={"name": "기술성", "weight": 1}),
        201,
    )
    _ok(api._call("POST", f"{base}/assignments", organizer, json={"per_team": 1}))
    for row in _ok(api._call("GET", f"{base}/assignments", judge))["assignments"]:
        points = {"팀0": 9, "팀1": 6, "팀2": 3}[row["team"]]
        scores = {"scores": {str(criterion["id"]): points}}
        _ok(api._call("PUT", f"{base}/teams/{row['team_id']}/scores", judge, json=scores))
    _ok(api._call("POST", f"{base}/reveal", organizer, json={"all": True}))
    _ok(api._call("POST", f"{base}/review/lock", organizer))


def publish_final(
    api: Api, contest: Contest, move: Callable[..., None] = move_event, entered: bool = False
) -> dict:
    """``lock_review``, then the final ranking published; its board."""
    lock_review(api, contest, move, entered)
    base = f"/api/v1/events/{contest.event}"
    board = _ok(api._call("POST", f"{base}/final/publish", contest.staff_tokens["organizer"]))
    assert [r["team"] for r in board["rows"]] == ["팀0", "팀1", "팀2"]
    return board

"""A review round cut short, for tests that need the final ranking published (awards, the
gallery, certificates): 팀0 > 팀1 > 팀2 on the private board and in every judge's scores."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from core.db import utcnow
from tests.actions import Api, bearer
from tests.helpers import Contest, move_event


def lock_review(client: FlaskClient, contest: Contest, api: Api) -> None:
    """Entries, the end, one criterion, the one judge on every team, scores, reveal, lock."""
    organizer = bearer(contest.staff_tokens["organizer"])
    judge = bearer(contest.staff_tokens["judge"])
    base = f"/api/v1/events/{contest.event}"
    for i, team in enumerate(("팀0", "팀1", "팀2")):
        api.entry(team, [0.1, 1.0, 3.0][i])
    move_event(end_at=utcnow() - timedelta(seconds=1), judges_per_team=1)
    made = client.post(f"{base}/criteria", headers=organizer, json={"name": "기술성", "weight": 1})
    assert made.status_code == 201, made.json
    assigned = client.post(f"{base}/assignments", headers=organizer, json={"per_team": 1})
    assert assigned.status_code == 200, assigned.json
    for row in client.get(f"{base}/assignments", headers=judge).json["assignments"]:
        points = {"팀0": 9, "팀1": 6, "팀2": 3}[row["team"]]
        scored = client.put(
            f"{base}/teams/{row['team_id']}/scores",
            headers=judge,
            json={"scores": {str(made.json["id"]): points}},
        )
        assert scored.status_code == 200, scored.json
    assert client.post(f"{base}/reveal", headers=organizer, json={"all": True}).status_code == 200
    assert client.post(f"{base}/review/lock", headers=organizer).status_code == 200


def publish_final(client: FlaskClient, contest: Contest, api: Api) -> dict:
    """``lock_review``, then the final ranking published; its board."""
    lock_review(client, contest, api)
    organizer = bearer(contest.staff_tokens["organizer"])
    published = client.post(f"/api/v1/events/{contest.event}/final/publish", headers=organizer)
    assert published.status_code == 200, published.json
    assert [r["team"] for r in published.json["rows"]] == ["팀0", "팀1", "팀2"]
    return published.json

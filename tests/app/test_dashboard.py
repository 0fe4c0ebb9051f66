"""The organizer's dashboard and rejudging, on SQLite and PostgreSQL."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.models import Status, Submission
from tests.actions import Api, bearer
from tests.helpers import Contest, settle


def test_dashboard_and_rejudge(app: Flask, client: FlaskClient, contest: Contest, api: Api) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    base = f"/api/v1/events/{contest.event}"
    api.entry("팀0", 0.3)
    api.entry("팀1", 0.6)
    with db.begin() as session:  # a platform fault, as a dead worker leaves it
        sub = session.scalars(select(Submission).order_by(Submission.id)).first()
        sub.status, sub.staff_error, sub.public_score = Status.FAILED, "MemoryError", None
        failed_id = sub.id

    assert client.get(f"{base}/dashboard", headers=bearer(contest.tokens["팀0"])).status_code == 403
    health = client.get(f"{base}/dashboard", headers=organizer).json
    assert health["mode"] == "embedded" and health["by_status"] == {"failed": 1, "scored": 1}
    assert sum(health["per_minute"][0]["counts"]) == 2  # both uploads in the last hour
    assert [(s["id"], s["staff_error"]) for s in health["failed"]] == [(failed_id, "MemoryError")]

    judge = bearer(contest.staff_tokens["judge"])
    assert client.post(f"/api/v1/submissions/{failed_id}/rejudge", headers=judge).status_code == 403
    again = client.post(f"/api/v1/submissions/{failed_id}/rejudge", headers=organizer)
    assert again.json == {"id": failed_id, "status": "queued"}
    settle(app)
    health = client.get(f"{base}/dashboard", headers=organizer).json
    assert health["by_status"] == {"scored": 2} and health["failed"] == []
    done = client.post(f"{base}/tasks/{contest.task}/rejudge-failed", headers=organizer).json
    assert done == {"rejudged": []}
    actions = [e["action"] for e in client.get(f"{base}/audit", headers=organizer).json["entries"]]
    assert "task.rejudge_failed" in actions and "submission.rejudge" in actions

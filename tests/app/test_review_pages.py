"""Who reaches the review pages: judges (their teams only) and organizers; never
participants; anonymous visitors are sent to sign in."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.actions import Api, bearer
from tests.helpers import Contest, move_event


def test_review_pages_by_role(app: Flask, client: FlaskClient, contest: Contest, api: Api) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    api.entry("팀0", 0.3)
    client.post(
        f"/api/v1/events/{contest.event}/criteria",
        headers=organizer,
        json={"name": "기술성", "weight": 1},
    )
    client.post(
        f"/api/v1/events/{contest.event}/assignments", headers=organizer, json={"per_team": 1}
    )
    base = f"/events/{contest.event}"
    pages = [f"{base}/review", f"{base}/review/teams/1", f"{base}/statistics"]
    for url in pages:
        assert client.get(url).status_code == 302  # anonymous: sign in first

    assert Api(client, contest).sign_in("p0@test.kr").status_code == 302
    for url in pages:
        assert client.get(url).status_code == 403, url

    client = app.test_client()  # a fresh browser
    # The only judge: assigned to every team.
    assert Api(client, contest).sign_in("judge@test.kr").status_code == 302
    assert client.get(f"{base}/review").status_code == 200
    team_page = client.get(f"{base}/review/teams/1")
    assert team_page.status_code == 200 and 'id="rubric"' in team_page.get_data(as_text=True)
    assert 'id="standing"' in team_page.get_data(as_text=True)
    assert client.get(f"{base}/statistics").status_code == 200
    assert client.get(f"{base}/review/teams/999").status_code == 404


def test_statistics_page_shows_titles_and_the_tasks_decimals(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    """Rule 8: scores are shown with the task's decimals, everywhere; tasks by their title."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.extensions import db
    from core.db import utcnow
    from core.models import Task

    with db.begin() as session:
        task = session.scalars(select(Task)).one()
        task.title, task.decimals = "유방암 진단", 3
    for i, team in enumerate(("팀0", "팀1", "팀2")):
        api.entry(team, 0.2 + 0.4 * i)
    move_event(end_at=utcnow() - timedelta(seconds=1))
    assert Api(client, contest).sign_in("judge@test.kr").status_code == 302
    page = client.get(f"/events/{contest.event}/statistics").get_data(as_text=True)
    assert "<h2>유방암 진단 " in page and f"<h2>{contest.task} " not in page
    scores = re.findall(r'<td class="score">([^<]*)</td>', page)
    assert len(scores) == 3, page
    assert all(re.fullmatch(r"\d+\.\d{3}", s) for s in scores), scores
    # The organizer's review console explains each team's automatic part per task: by title.
    organizer = app.test_client()
    assert Api(organizer, contest).sign_in("organizer@test.kr").status_code == 302
    console = organizer.get(f"/events/{contest.event}/review").get_data(as_text=True)
    assert "<li>유방암 진단: " in console and f"<li>{contest.task}: " not in console

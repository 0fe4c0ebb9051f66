"""Who reaches the review pages: judges (their teams only) and organizers; never
participants; anonymous visitors are sent to sign in."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import Contest
from tests.scoreboard.test_reveal import bearer, submit
from tests.submissions.test_intake import sign_in as sign_in_as


def sign_in(client: FlaskClient, contest: Contest, email: str) -> None:
    assert sign_in_as(client, email, contest.passwords[email]).status_code == 302


def test_review_pages_by_role(app: Flask, client: FlaskClient, contest: Contest) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    submit(app, client, contest, "팀0", 0.3)
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

    sign_in(client, contest, "p0@test.kr")
    for url in pages:
        assert client.get(url).status_code == 403, url

    client = app.test_client()  # a fresh browser
    sign_in(client, contest, "judge@test.kr")  # the only judge: assigned to every team
    assert client.get(f"{base}/review").status_code == 200
    team_page = client.get(f"{base}/review/teams/1")
    assert team_page.status_code == 200 and 'id="rubric"' in team_page.get_data(as_text=True)
    assert 'id="standing"' in team_page.get_data(as_text=True)
    assert client.get(f"{base}/statistics").status_code == 200
    assert client.get(f"{base}/review/teams/999").status_code == 404


def test_statistics_page_shows_titles_and_the_tasks_decimals(
    app: Flask, client: FlaskClient, contest: Contest
) -> None:
    """Rule 8: scores are shown with the task's decimals, everywhere; tasks by their title."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.extensions import db
    from core.db import utcnow
    from core.models import Task
    from tests.scoreboard.test_reveal import move_event

    with db.begin() as session:
        task = session.scalars(select(Task)).one()
        task.title, task.decimals = "유방암 진단", 3
    for i, team in enumerate(("팀0", "팀1", "팀2")):
        submit(app, client, contest, team, 0.2 + 0.4 * i)
    move_event(end_at=utcnow() - timedelta(seconds=1))
    sign_in(client, contest, "judge@test.kr")
    page = client.get(f"/events/{contest.event}/statistics").get_data(as_text=True)
    assert "<h2>유방암 진단 " in page and f"<h2>{contest.task} " not in page
    scores = re.findall(r'<td class="score">([^<]*)</td>', page)
    assert len(scores) == 3, page
    assert all(re.fullmatch(r"\d+\.\d{3}", s) for s in scores), scores

"""Joining a team with its invite code (issue 6): wrong codes are refused, the right one
lands on the team page with the members listed."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.models import Role, Team
from organize.accounts import create_user
from tests.actions import csrf_token
from tests.helpers import Contest


def test_join_with_invite_code(app: Flask, client: FlaskClient, contest: Contest) -> None:
    with db.begin() as session:
        _user, password = create_user(session, "new@test.kr", Role.PARTICIPANT, name="새참가자")
        code = session.scalars(select(Team).where(Team.name == "팀1")).one().invite_code
    login = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": login, "email": "new@test.kr", "password": password})
    team_page = f"/events/{contest.event}/team"
    join = f"/events/{contest.event}/join"
    assert client.get(team_page).headers["Location"].endswith(join)  # no team yet: join one

    form = client.get(join).get_data(as_text=True)
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = client.post(join, data={"csrf_token": token, "code": "nope"})
    assert wrong.status_code == 400 and "초대 코드를 가진 팀이 없습니다" in wrong.get_data(
        as_text=True
    )
    assert client.post(join, data={"code": code}).status_code == 400  # no CSRF token: refused
    joined = client.post(join, data={"csrf_token": token, "code": code})
    assert joined.status_code == 302 and joined.headers["Location"].endswith(team_page)
    page = client.get(team_page).get_data(as_text=True)
    assert "팀1" in page and "새참가자" in page and "참가자1" in page
    assert client.get(join).status_code == 302  # already in a team

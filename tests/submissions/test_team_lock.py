"""A team's lock never holds a teammate's upload (PostgreSQL).

A pick holds its team's lock and, under it, recounts the team's standing (its pick for the
private board). An upload on PostgreSQL is one statement that counts the file in that standing
and then checks its team's row, as the foreign key does (``FOR KEY SHARE``). With the lock taken
``FOR UPDATE`` the upload waited on the team's row while holding the standing, and the pick on
the standing while holding the team's row: PostgreSQL aborted one of them (40P01).
"""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from core.models import Standing, Task, Team
from judge.standings import recount
from submissions.locks import team_locked
from tests.actions import Api
from tests.helpers import Contest, prediction_csv


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_an_upload_goes_through_while_a_pick_holds_the_teams_lock(
    app: Flask, contest: Contest, api: Api
) -> None:
    team = next(iter(contest.tokens))
    api.entry(team, 0.3)  # the team's standing is there
    assert db.session_factory is not None
    with db.session_factory() as session:
        task = session.scalars(select(Task)).one()
        team_id = session.scalars(select(Team.id).where(Team.name == team)).one()
        replies: list[int] = []
        upload = threading.Thread(
            target=lambda: replies.append(
                api.upload(team, prediction_csv(contest.truth, 0.2, 7)).status_code
            )
        )
        with team_locked(session, team_id):  # as a pick holds it
            upload.start()
            upload.join(60)  # a bound, not a wait: the upload does not need the lock
            assert replies == [202], "the upload waited on its team's lock"
            recount(session, task, team_id)  # what the pick does next under the lock
    api.settle()
    with db.begin() as session:
        attempts = session.scalars(select(Standing.attempts)).one()
    assert attempts == 2

"""The team an upload's token was found with (before its body streamed in) must still be the
uploader's when the row goes in (issue 14): the row's own statement checks the membership.
An organizer's change that lands in between — the team disqualified, the member removed or
moved — decides the upload as it would have decided one sent after it; so does a quota freed
between the row's statement and the quota's own read.

PostgreSQL only: that is where the team is read before the body and the row's statement
checks membership and quota by itself (SQLite reads the team under the team's lock, in the
row's transaction)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from config import Settings
from core.models import Status, Submission, Team, TeamMember, User
from tests.actions import Api
from tests.helpers import Contest, each_statement_sent, prediction_csv, seed_contest


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


ROW = "WITH new_row AS"  # how the upload's row statement begins
LOOKUPS = "SELECT events.id"  # and its lookups (token, event, task, team)


@contextmanager
def just_before(
    starts: str, change: Callable[[Session], None], when: str = "before_cursor_execute"
) -> Iterator[None]:
    """Run ``change`` in a transaction of its own, committed just before the upload sends the
    first statement that ``starts`` so (``when="after_cursor_execute"``: just after it was
    sent, its rows read as they were)."""
    done: list[bool] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().startswith(starts) and not done:
            done.append(True)
            with db.begin() as session:
                change(session)

    with each_statement_sent(db, note, when):
        yield
    assert done, f"the upload never sent {starts!r}"


def teams_of(contest: Contest) -> tuple[str, str]:
    first, second, *_ = contest.tokens
    return first, second


def member(session: Session, team_name: str) -> TeamMember:
    return session.scalars(
        select(TeamMember).join(Team, Team.id == TeamMember.team_id).where(Team.name == team_name)
    ).one()


def stored_files(storage: Path) -> list[Path]:
    return sorted(p for p in storage.rglob("*") if p.is_file())


def rows() -> list[tuple[int, int | None]]:
    with db.begin() as session:
        return [tuple(r) for r in session.execute(select(Submission.team_id, Submission.user_id))]


@pytest.mark.parametrize("change", ["disqualified", "removed"])
def test_a_team_change_just_before_the_row_refuses_the_upload(
    app: Flask, settings: Settings, contest: Contest, api: Api, change: str
) -> None:
    team, _other = teams_of(contest)
    before = stored_files(settings.storage_dir)

    def organizer(session: Session) -> None:
        if change == "disqualified":
            session.execute(update(Team).where(Team.name == team).values(disqualified=True))
        else:
            session.execute(delete(TeamMember).where(TeamMember.id == member(session, team).id))

    with just_before(ROW, organizer):
        reply = api.upload(team, prediction_csv(contest.truth, 0.5, 1))
    expected = {"disqualified": "disqualified", "removed": "no_team"}[change]
    assert reply.status_code == 403, reply.get_data(as_text=True)
    assert reply.get_json()["error"]["code"] == expected
    assert rows() == []  # nothing went in
    assert stored_files(settings.storage_dir) == before  # and its file is gone


def test_a_member_moved_just_before_the_row_uploads_for_the_new_team(
    app: Flask, contest: Contest, api: Api
) -> None:
    team, other = teams_of(contest)

    def organizer(session: Session) -> None:
        moved = member(session, team)
        moved.team_id = session.scalars(select(Team.id).where(Team.name == other)).one()

    with db.begin() as session:
        user_id = member(session, team).user_id
    with just_before(ROW, organizer):
        reply = api.upload(team, prediction_csv(contest.truth, 0.5, 1))
    assert reply.status_code == 202, reply.get_data(as_text=True)
    with db.begin() as session:
        other_id = session.scalars(select(Team.id).where(Team.name == other)).one()
        assert session.get(User, user_id) is not None
    assert rows() == [(other_id, user_id)]
    assert reply.get_json()["team"] == other


def test_a_team_reinstated_while_the_body_streamed_in_is_taken(
    app: Flask, contest: Contest, api: Api
) -> None:
    team, _other = teams_of(contest)
    with db.begin() as session:
        session.execute(update(Team).where(Team.name == team).values(disqualified=True))

    def organizer(session: Session) -> None:
        session.execute(update(Team).where(Team.name == team).values(disqualified=False))

    # The lookups read the team disqualified; by the time the file is stored it is not.
    with just_before(LOOKUPS, organizer, when="after_cursor_execute"):
        reply = api.upload(team, prediction_csv(contest.truth, 0.5, 1))
    assert reply.status_code == 202, reply.get_data(as_text=True)
    assert len(rows()) == 1


def test_a_file_that_stops_counting_between_the_row_and_its_quota_check_frees_the_quota(
    app: Flask, client: FlaskClient, settings: Settings, tmp_path: Path
) -> None:
    """The row's statement found the quota used up; before the quota is read to say until
    when, the counted file stops counting (as a file a worker finds malformed: it uses no
    quota): the upload goes in."""
    contest = seed_contest(db, settings.storage_dir, tmp_path, daily_limit=1)
    api = Api(client, contest, app)
    team, _other = teams_of(contest)
    api.entry(team, 0.5)  # scored: the day's one file

    def worker(session: Session) -> None:
        session.execute(update(Submission).values(status=Status.INVALID))

    with just_before(ROW, worker, when="after_cursor_execute"):
        reply = api.upload(team, prediction_csv(contest.truth, 0.4, 2))
    assert reply.status_code == 202, reply.get_data(as_text=True)
    assert len(rows()) == 2
    api.settle()  # its scoring and push, before the database goes

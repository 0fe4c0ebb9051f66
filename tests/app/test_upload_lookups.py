"""An upload's token, event, task and team are looked up by one statement (issue 14), which
must decide as the separate lookups did: a live token's upload goes in, an unknown event or task
is 404, an unknown, expired or revoked token is 401. The token's last use, when due, is written
by the row's own statement, or by the request when no row went in."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.security import hash_token, new_token
from config import Settings
from core.db import utcnow
from core.models import ApiToken, Role, Submission, TokenScope, User
from tests.actions import Api
from tests.helpers import Contest, each_statement_sent, prediction_csv, seed_contest


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements this thread sends (the test client's request runs in it; the app's
    scoring threads are not the upload's)."""
    seen: list[str] = []
    mine = threading.get_ident()

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if threading.get_ident() == mine:
            seen.append(" ".join(statement.split()))

    with each_statement_sent(db, note):
        yield seen


def token_row(session: Session, token: str) -> ApiToken:
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()


def last_used(token: str) -> object:
    with db.begin() as session:
        return token_row(session, token).last_used_at


def test_an_uploads_token_event_task_and_team_come_in_one_statement(
    app: Flask, contest: Contest, api: Api
) -> None:
    team = next(iter(contest.tokens))
    assert last_used(contest.tokens[team]) is None
    for noise in (0.6, 0.5):  # the token's first use (a write more, once a minute), then not
        with statements() as seen:
            reply = api.upload(team, prediction_csv(contest.truth, noise, 1))
        assert reply.status_code == 202, reply.get_data(as_text=True)
        token_reads = [s for s in seen if s.startswith("SELECT") and "FROM api_tokens" in s]
        event_reads = [s for s in seen if s.startswith("SELECT") and "FROM events" in s]
        assert event_reads and token_reads == [], seen  # no lookup of the token by itself
        assert len(event_reads) == 1 and "JOIN api_tokens" in event_reads[0], seen
        assert "JOIN teams" in event_reads[0], seen
        if db.engine is not None and db.engine.dialect.name == "postgresql":
            # The lookups, then the row (with its membership, quota, number, count and the
            # token's use): nothing else, not even for the token's first use.
            assert len(seen) == 2, [s[:80] for s in seen]
            assert "UPDATE api_tokens" in seen[1], seen[1][:80]
        assert last_used(contest.tokens[team]) is not None  # the use was written
    with db.begin() as session:
        assert len(session.scalars(select(Submission.sha256)).all()) == 2  # the rows went in


def test_a_refused_uploads_token_use_is_written_all_the_same(
    app: Flask, contest: Contest, api: Api
) -> None:
    team = next(iter(contest.tokens))
    refused = api.upload(team, b"id,wrong\n1,2\n")  # no row: the statement never ran
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert last_used(contest.tokens[team]) is not None
    with db.begin() as session:
        assert session.scalars(select(Submission)).all() == []


def test_a_quota_refused_uploads_token_use_is_written_once(
    app: Flask, client: FlaskClient, settings: Settings, tmp_path: Path
) -> None:
    """On PostgreSQL the row's statement wrote the use though no row went in: the request
    must not write it again (SQLite: the row's transaction rolled back; the request writes)."""
    contest = seed_contest(db, settings.storage_dir, tmp_path, daily_limit=1)
    api = Api(client, contest, app)
    team = next(iter(contest.tokens))
    assert api.upload(team, prediction_csv(contest.truth, 0.5, 1)).status_code == 202
    with db.begin() as session:  # two minutes on, as the clock would make it: the use is due
        row = token_row(session, contest.tokens[team])
        row.last_used_at = before = utcnow() - timedelta(minutes=2)
    with statements() as seen:
        refused = api.upload(team, prediction_csv(contest.truth, 0.4, 2))
    assert refused.status_code == 429, refused.get_data(as_text=True)
    assert refused.json["error"]["code"] == "daily_quota"
    writes = [s[:80] for s in seen if "UPDATE api_tokens" in s]
    assert len(writes) == 1, writes
    if db.engine is not None and db.engine.dialect.name == "postgresql":
        assert writes[0].startswith("WITH new_row"), writes  # the row's statement wrote it
    used = last_used(contest.tokens[team])
    assert isinstance(used, datetime) and used > before


def test_the_joint_lookup_refuses_as_the_separate_ones_did(
    app: Flask, contest: Contest, api: Api
) -> None:
    team = next(iter(contest.tokens))
    body = prediction_csv(contest.truth, 0.5, 1)
    no_event = api.client.post(
        "/api/v1/events/nowhere/tasks/t1/submissions",
        headers={"Authorization": f"Bearer {contest.tokens[team]}"},
        data={"file": (io.BytesIO(body), "p.csv")},
        content_type="multipart/form-data",
    )
    assert no_event.status_code == 404
    assert api.upload(team, body, task="nothing").status_code == 404
    assert api.upload(None, body, token="hj_" + "x" * 43).status_code == 401
    assert api.upload(None, body, token="not-ours").status_code == 401

    with db.begin() as session:  # a submit-only token whose owner became staff
        owner = session.scalars(select(User).where(User.role == Role.PARTICIPANT)).first()
        assert owner is not None
        submit_only = new_token(session, owner, scope=TokenScope.SUBMIT)
        owner.role = Role.JUDGE
    staff_now = api.upload(None, body, token=submit_only)
    assert staff_now.status_code == 401, staff_now.get_data(as_text=True)

    with db.begin() as session:  # the team's token expires, as the clock would make it
        row = token_row(session, contest.tokens[team])
        row.expires_at = utcnow() - timedelta(seconds=1)
    expired = api.upload(team, body)
    assert expired.status_code == 401, expired.get_data(as_text=True)
    with db.begin() as session:
        assert session.scalars(select(Submission)).all() == []  # nothing went in

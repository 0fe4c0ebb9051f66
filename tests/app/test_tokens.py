"""API tokens (issue 12, item 17): they expire, carry a name and a scope, and their owners
list and revoke them through the API; organizers list and revoke any from the command line.
A submit-only token uploads and reads its team's submissions and the public boards, nothing
else. Secrets are shown once and never listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import select

from app.security import MAX_TOKENS_PER_USER, hash_token
from core.db import Database, utcnow
from core.models import ApiToken, AuditEntry, User
from tests.actions import Api, bearer
from tests.helpers import (
    Contest,
    Proc,
    cli,
    prediction_csv,
    run_cli,
    seed_env,
    server_in,
    wait_for,
)


def upload_with(server: Proc, contest: Contest, token: str) -> requests.Response:
    """The same plausible file, sent with ``token``."""
    return Api(server, contest).upload(None, prediction_csv(contest.truth, 0.3, 1), token=token)


@dataclass
class Web:
    """A seeded contest with one web node, and team 0's own tokens endpoint."""

    contest: Contest
    server: Proc
    api: str
    mine: dict[str, str]


@pytest.fixture
def web(embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]) -> Web:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    return Web(contest, server, f"{server.url}/api/v1", bearer(contest.tokens["팀0"]))


def in_database(env: dict[str, str]) -> Database:
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    return database


def test_own_tokens_through_the_api_scoped_listed_and_revoked(web: Web) -> None:
    contest, server, api, mine = web.contest, web.server, web.api, web.mine

    made = requests.post(
        f"{api}/tokens",
        json={"name": "laptop", "scope": "submit", "expires": "7d"},
        headers=mine,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    created = made.json()
    secret = created["token"]
    assert secret.startswith("hj_") and created["name"] == "laptop"
    assert created["scope"] == "submit"
    lasts = datetime.fromisoformat(created["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < lasts <= timedelta(days=7)

    listed = requests.get(f"{api}/tokens", headers=mine, timeout=30)
    assert listed.status_code == 200
    tokens = listed.json()["tokens"]
    assert sorted((t["name"], t["scope"]) for t in tokens) == [("", "full"), ("laptop", "submit")]
    assert all(t["expires_at"] and "token" not in t for t in tokens)  # no secrets, no hashes
    assert secret not in listed.text and hash_token(secret) not in listed.text

    # What a submit-only token may do: upload, read its team's submissions, the public board.
    sent = upload_with(server, contest, secret)
    assert sent.status_code == 202
    assert requests.get(
        f"{api}/submissions/{sent.json()['id']}", headers=bearer(secret), timeout=30
    ).ok
    board = requests.get(f"{api}/events/{contest.event}/leaderboard", headers=bearer(secret))
    assert board.status_code == 200
    # ... and nothing else: no final picks, no pages, no tokens (it cannot mint a full one).
    refusals = {
        "pick": requests.post(
            f"{api}/submissions/{sent.json()['id']}/final", headers=bearer(secret)
        ),
        "list": requests.get(f"{api}/tokens", headers=bearer(secret)),
        "mint": requests.post(f"{api}/tokens", json={"scope": "full"}, headers=bearer(secret)),
        "page": requests.get(
            f"{server.url}/events/{contest.event}/team",
            headers=bearer(secret),
            allow_redirects=False,
        ),
    }
    assert {what: r.status_code for what, r in refusals.items()} == dict.fromkeys(refusals, 403)
    assert "제출 전용" in refusals["pick"].json()["error"]["message"]  # Korean by default

    # Teams get submit-only tokens; staff tokens act with their role.
    staff = requests.post(
        f"{api}/tokens", json={"scope": "submit"}, headers=bearer(contest.staff_tokens["judge"])
    )
    assert staff.status_code == 400 and staff.json()["error"]["code"] == "bad_scope"
    for bad in ({"expires": "forever"}, {"expires": "400d"}, {"scope": "root"}, {"name": 7}):
        assert requests.post(f"{api}/tokens", json=bad, headers=mine).status_code == 400, bad

    # Only the owner revokes (another team's member is told nothing exists).
    other = bearer(contest.tokens["팀1"])
    assert requests.delete(f"{api}/tokens/{created['id']}", headers=other).status_code == 404
    revoked = requests.delete(f"{api}/tokens/{created['id']}", headers=mine, timeout=30)
    assert revoked.status_code == 200
    assert upload_with(server, contest, secret).status_code == 401
    assert [t["name"] for t in requests.get(f"{api}/tokens", headers=mine).json()["tokens"]] == [""]


def test_an_expired_token_is_refused_by_the_api_and_the_live_channel(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], live_client: Any
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    secret = cli(embedded_env, "token", "create", "p0@test.kr", "--expires", "1d").strip()
    database = in_database(embedded_env)
    with database.begin() as session:  # a day passes, as the clock would
        row = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
        ).one()
        assert row.expires_at - utcnow() <= timedelta(days=1)
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert database.engine is not None
    database.engine.dispose()
    server = server_in(embedded_env, spawned, tmp_path, "web")

    refused = requests.get(f"{server.url}/api/v1/submissions/0", headers=bearer(secret))
    assert refused.status_code == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        live_client.connect(
            server.url, namespaces=["/live"], auth={"token": secret}, wait_timeout=10
        )
    # The seeded token has the default lifetime (30 days) and still works.
    fresh = requests.get(
        f"{server.url}/api/v1/submissions/0", headers=bearer(contest.tokens["팀0"])
    )
    assert fresh.status_code == 404


def test_organizers_list_and_revoke_tokens_from_the_command_line(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    secret = cli(
        embedded_env,
        "token",
        "create",
        "p0@test.kr",
        "--name",
        "ci runner",
        "--scope",
        "submit",
        "--expires",
        "7d",
    ).strip()
    assert secret.startswith("hj_") and "\n" not in secret  # alone on stdout, for scripts

    own = cli(embedded_env, "token", "list", "p0@test.kr")
    assert secret not in own and hash_token(secret) not in own
    rows = [line for line in own.splitlines()[1:] if line.strip()]
    assert len(rows) == 2  # the seeded token and the new one
    ci_row = next(line for line in rows if "ci runner" in line)
    assert "submit" in ci_row and "p0@test.kr" in ci_row
    every = cli(embedded_env, "token", "list")
    listed = [line for line in every.splitlines()[1:] if line.strip()]
    assert len(listed) == 6  # three teams, two staff, the new one
    assert all(secret not in line for line in listed)
    token_id = ci_row.split()[0]

    server = server_in(embedded_env, spawned, tmp_path, "web")
    assert upload_with(server, contest, secret).status_code == 202
    cli(embedded_env, "token", "revoke", token_id, "--as", "organizer@test.kr")
    assert upload_with(server, contest, secret).status_code == 401
    assert upload_with(server, contest, contest.tokens["팀1"]).status_code == 202  # others stay

    database = in_database(embedded_env)
    with database.begin() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke")).one()
        organizer = session.scalars(select(User).where(User.email == "organizer@test.kr")).one()
        assert entry.actor_id == organizer.id and "p0@test.kr" in entry.target
    assert database.engine is not None
    database.engine.dispose()

    refusals = {
        "staff submit-only": run_cli(
            embedded_env, "token", "create", "judge@test.kr", "--scope", "submit"
        ),
        "too long": run_cli(embedded_env, "token", "create", "p1@test.kr", "--expires", "400d"),
        "no such token": run_cli(embedded_env, "token", "revoke", "99999"),
    }
    for what, done in refusals.items():
        assert done.returncode != 0 and done.stderr.strip(), what


def test_a_revoked_token_loses_its_open_live_socket(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    """A socket signed in with a token that is then revoked (from the CLI, another process)
    leaves the staff room: it is disconnected; another staff socket stays."""
    seed_env(embedded_env, tmp_path)
    leaked = cli(embedded_env, "token", "create", "judge@test.kr", "--name", "leaked").strip()
    kept = cli(embedded_env, "token", "create", "judge@test.kr", "--name", "kept").strip()
    listed = cli(embedded_env, "token", "list", "judge@test.kr").splitlines()
    leaked_id = next(line.split()[0] for line in listed if "leaked" in line)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    sockets = {}
    for name, secret in (("leaked", leaked), ("kept", kept)):
        client = socketio.Client(reconnection=False)
        client.connect(
            server.url, namespaces=["/live"], auth={"token": secret}, transports=["websocket"]
        )
        ack = client.call("subscribe", {"event": "test-event"}, namespace="/live", timeout=30)
        assert "staff" in ack["boards"], ack  # in the staff room
        sockets[name] = client
    try:
        cli(embedded_env, "token", "revoke", leaked_id, "--as", "organizer@test.kr")
        wait_for(lambda: not sockets["leaked"].connected, 60, "the revoked socket's end")
        assert sockets["kept"].connected
        again = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            again.connect(server.url, namespaces=["/live"], auth={"token": leaked}, wait_timeout=10)
    finally:
        for client in sockets.values():
            client.disconnect()


def test_an_account_holds_a_bounded_number_of_tokens(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    """A script making tokens in a loop stops at the cap; revoking one makes room."""
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api, mine = f"{server.url}/api/v1", bearer(contest.tokens["팀0"])
    codes = [
        requests.post(f"{api}/tokens", json={"name": f"t{i}"}, headers=mine, timeout=30)
        for i in range(MAX_TOKENS_PER_USER)
    ]
    made = [reply for reply in codes if reply.status_code == 201]
    refused = [reply for reply in codes if reply.status_code != 201]
    assert len(made) == MAX_TOKENS_PER_USER - 1  # the seeded token is the first
    assert [r.json()["error"]["code"] for r in refused] == ["too_many_tokens"]
    revoked = requests.delete(f"{api}/tokens/{made[0].json()['id']}", headers=mine, timeout=30)
    assert revoked.status_code == 200
    again = requests.post(f"{api}/tokens", json={"name": "again"}, headers=mine, timeout=30)
    assert again.status_code == 201, again.text


def test_a_tokens_last_use_is_noted_by_a_read_and_by_an_upload(web: Web) -> None:
    """A read commits nothing of its own; an upload's commit carries the token's last use."""
    contest, server, api, mine = web.contest, web.server, web.api, web.mine

    def made(name: str) -> str:
        reply = requests.post(f"{api}/tokens", json={"name": name}, headers=mine, timeout=30)
        assert reply.status_code == 201, reply.text
        return reply.json()["token"]

    def last_uses() -> dict[str, Any]:
        listed = requests.get(f"{api}/tokens", headers=mine, timeout=30).json()["tokens"]
        return {t["name"]: t["last_used_at"] for t in listed if t["name"]}

    reader, uploader = made("reader"), made("uploader")
    assert last_uses() == {"reader": None, "uploader": None}
    before = utcnow()
    board = requests.get(f"{api}/events/{contest.event}/leaderboard", headers=bearer(reader))
    assert board.status_code == 200
    assert upload_with(server, contest, uploader).status_code == 202
    noted = last_uses()
    for name in ("reader", "uploader"):
        assert noted[name] is not None and datetime.fromisoformat(noted[name]) >= before, noted

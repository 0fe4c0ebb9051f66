"""Issue 12 (9): an upload is committed whole or not at all, and a retry never duplicates it.

A client that sends ``Idempotency-Key`` and retries (its connection died before the 202, the
web node was killed mid-upload) gets the first submission back, never a second row; the same
key with another body is refused (422, as the IETF idempotency-key draft says). Files no row
references (a crash between the file and the row) are swept.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from config import Settings
from core.db import Database
from core.models import Submission
from tests.actions import Api, bearer
from tests.helpers import (
    HACKJUDGE,
    Contest,
    Proc,
    prediction_csv,
    seed_contest,
    seed_env,
    server_in,
    settle,
    start_server,
    wait_for,
)

KEY = "Idempotency-Key"


def post(client: FlaskClient, contest: Contest, body: bytes, key: str | None, team: str = "팀0"):  # noqa: ANN201
    """An upload that carries ``key`` as its idempotency key (none for ``None``)."""
    headers = {KEY: key} if key is not None else {}
    return Api(client, contest).upload(team, body, "pred.csv", headers=headers)


def stored_files(storage: Path) -> list[Path]:
    folder = storage / "submissions"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_retry_with_the_same_key_returns_the_first_submission(
    app: Flask, client: FlaskClient, settings: Settings, tmp_path: Path
) -> None:
    # A quota of one: the retry must not be counted, nor refused, as a second upload.
    contest = seed_contest(db, settings.storage_dir, tmp_path, daily_limit=1)
    body = prediction_csv(contest.truth, 0.3, 1)
    first = post(client, contest, body, "retry-1")
    assert first.status_code == 202, first.json
    again = post(client, contest, body, "retry-1")
    assert again.status_code == 202, again.json
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers

    # The same key with another file: a client bug, said plainly rather than guessed at.
    other = post(client, contest, prediction_csv(contest.truth, 0.5, 2), "retry-1")
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    # Keys are the sender's own: another team's same key is another upload.
    theirs = post(client, contest, body, "retry-1", team="팀1")
    assert theirs.status_code == 202 and theirs.json["id"] != first.json["id"]
    # A key is short printable text.
    for bad in ("x" * 201, "", "tab\there"):
        refused = post(client, contest, body, bad, team="팀2")
        assert refused.status_code == 400, (bad, refused.json)
        assert refused.json["error"]["code"] == "bad_idempotency_key"

    settle(app)
    with db.begin() as session:
        rows = session.scalars(select(Submission).order_by(Submission.id)).all()
        assert [(r.team_id, r.idempotency_key) for r in rows] == [
            (rows[0].team_id, "retry-1"),
            (rows[1].team_id, "retry-1"),
        ]
        referenced = {settings.storage_dir / r.stored_path for r in rows}
    # The retries' own copies of the file were not kept.
    assert set(stored_files(settings.storage_dir)) == referenced


def request_bytes(url: str, token: str, body: bytes, key: str) -> bytes:
    """The exact bytes ``requests`` would send for this upload (multipart, headers)."""
    prepared = requests.Request(
        "POST",
        url,
        headers={**bearer(token), KEY: key, "Connection": "close"},
        files={"file": ("pred.csv", body, "text/csv")},
    ).prepare()
    assert isinstance(prepared.body, bytes)
    path = url.split("/", 3)[3]
    host = url.split("/")[2]
    lines = [f"POST /{path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in prepared.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + prepared.body


def rows_in(env: dict[str, str]) -> list[Submission]:
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            return list(session.scalars(select(Submission).order_by(Submission.id)))
    finally:
        assert database.engine is not None
        database.engine.dispose()


def test_a_client_that_lost_the_reply_or_the_web_node_retries_into_one_row(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(production_env, tmp_path)
    server = server_in(production_env, spawned, tmp_path, "web")
    url = f"{server.url}/api/v1/events/{contest.event}/tasks/{contest.task}/submissions"
    token = contest.tokens["팀0"]
    body = prediction_csv(contest.truth, 0.3, 1)

    # The whole upload goes out, then the connection dies before the 202 comes back.
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(request_bytes(url, token, body, "lost-reply"))
        raw.shutdown(socket.SHUT_WR)
    committed = wait_for(lambda: rows_in(production_env), 30, "the server to commit the upload")
    retry = requests.post(
        url,
        headers={**bearer(token), KEY: "lost-reply"},
        files={"file": ("pred.csv", body, "text/csv")},
        timeout=30,
    )
    assert retry.status_code == 202, retry.text
    assert retry.json()["id"] == committed[0].public_id  # the team's name for it
    assert len(rows_in(production_env)) == 1

    # The web node is killed while an upload streams in: nothing is committed, and the
    # client's retry to the restarted node makes exactly one row.
    second = prediction_csv(contest.truth, 0.4, 2)
    data = request_bytes(url, token, second, "killed-node")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(data[: len(data) // 2])
        os.killpg(server.popen.pid, signal.SIGKILL)
        server.popen.wait(10)
    assert len(rows_in(production_env)) == 1
    restarted = start_server(production_env, tmp_path / "web2.log", int(port))
    spawned.append(restarted)
    replies = [
        requests.post(
            url,
            headers={**bearer(token), KEY: "killed-node"},
            files={"file": ("pred.csv", second, "text/csv")},
            timeout=30,
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in replies] == [202, 202], [r.text for r in replies]
    assert replies[0].json()["id"] == replies[1].json()["id"]
    assert [r.idempotency_key for r in rows_in(production_env)] == ["lost-reply", "killed-node"]


def test_files_no_row_references_are_swept(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    """What a crash leaves between the file and the row: a ``.part``, an unreferenced upload."""
    env = {**production_env, "HACKJUDGE_RECONCILE_SECONDS": "1"}
    env["HACKJUDGE_ORPHAN_GRACE_SECONDS"] = "60"
    contest = seed_env(env, tmp_path)
    storage = Path(env["HACKJUDGE_STORAGE_DIR"])
    server = server_in(env, spawned, tmp_path, "web")
    reply = requests.post(
        f"{server.url}/api/v1/events/{contest.event}/tasks/{contest.task}/submissions",
        headers=bearer(contest.tokens["팀0"]),
        files={"file": ("pred.csv", prediction_csv(contest.truth, 0.3, 1))},
        timeout=30,
    )
    assert reply.status_code == 202
    old = time.time() - 120  # older than the grace
    kept = storage / rows_in(env)[0].stored_path
    os.utime(kept, (old, old))  # referenced: kept however old
    folder = storage / "submissions" / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    orphans = [folder / "deadbeef.part", folder / "cafebabe.upload"]
    for orphan in orphans:
        orphan.write_bytes(b"id,target\n")
        os.utime(orphan, (old, old))
    young = folder / "0123abcd.part"  # an upload still streaming in on some web node
    young.write_bytes(b"id,target\n")

    wait_for(lambda: not any(p.exists() for p in orphans), 60, "the orphans to be swept")
    assert kept.exists() and young.exists()


class DroppingProxy:
    """Forwards TCP to a server; the first connection's reply is cut off (as a dying link
    would), after the whole request reached the server. Later connections pass through."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            drop = self.connections == 1
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._reply, args=(upstream, client, drop), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass

    @staticmethod
    def _reply(upstream: socket.socket, client: socket.socket, drop: bool) -> None:
        try:
            while chunk := upstream.recv(65536):
                if drop:  # the server answered: the client never hears it
                    client.shutdown(socket.SHUT_RDWR)
                    client.close()
                    return
                client.sendall(chunk)
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


def test_hackjudge_submit_retries_a_lost_reply_without_a_duplicate(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    proxy = DroppingProxy(int(server.url.rsplit(":", 1)[1]))
    file = tmp_path / "pred.csv"
    file.write_bytes(prediction_csv(contest.truth, 0.3, 1))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HACKJUDGE_")}
    try:
        done = subprocess.run(
            [HACKJUDGE, "submit", contest.event, contest.task, str(file)],
            env={
                **clean,
                "HACKJUDGE_SERVER": f"http://127.0.0.1:{proxy.port}",
                "HACKJUDGE_TOKEN": contest.tokens["팀0"],
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        proxy.close()
    assert done.returncode == 0, done.stderr
    assert proxy.connections == 2  # the upload, then its retry
    rows = rows_in(embedded_env)
    assert len(rows) == 1 and rows[0].idempotency_key
    assert f'"id": "{rows[0].public_id}"' in done.stdout

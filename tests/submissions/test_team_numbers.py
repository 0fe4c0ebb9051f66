"""A team's submission identifiers say nothing about other teams (issue 12 item 13).

Global ids count every team's uploads: during the freeze, a team whose ids went 7 → 12 knew
the others had sent four files. Teams now see their own numbers (1, 2, 3, …) and an opaque
id, on every path: the upload's reply, the API, the live push, the team page, the command
line. Global ids are for staff; a team asking by one gets 404, as for any unknown id.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import select

from core.db import Database
from core.models import Submission
from tests.actions import Api, bearer
from tests.helpers import (
    HACKJUDGE,
    Contest,
    Proc,
    browser_sign_in,
    cli,
    prediction_csv,
    seed_env,
    server_in,
    wait_for,
)

DONE = ("scored", "invalid", "failed")


def sent(server: Proc, contest: Contest, team: str, seed: int) -> dict[str, Any]:
    reply = Api(server, contest).upload(team, prediction_csv(contest.truth, 0.3, seed))
    assert reply.status_code == 202, reply.text
    return reply.json()


def global_id(env: dict[str, str], public_id: str) -> int:
    """What staff call a submission (read from the database, as no team can)."""
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            return session.scalars(
                select(Submission.id).where(Submission.public_id == public_id)
            ).one()
    finally:
        assert database.engine is not None
        database.engine.dispose()


class Pushes:
    """A team member's live channel: the ``submission`` pushes, as a real client gets them."""

    def __init__(self, server: Proc, contest: Contest, team: str) -> None:
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("submission", self.received.put, namespace="/live")
        self.client.connect(
            server.url,
            namespaces=["/live"],
            transports=["websocket"],
            auth={"token": contest.tokens[team]},
            wait_timeout=10,
        )
        self.client.call("subscribe", {"event": contest.event}, namespace="/live", timeout=10)

    def final(self, submission_id: str) -> dict[str, Any]:
        """The push that ends ``submission_id``'s scoring."""
        while True:
            message = self.received.get(timeout=60)
            if message["id"] == submission_id and message["status"] in DONE:
                return message


@pytest.fixture
def pushes_of() -> Iterator[list[Pushes]]:
    opened: list[Pushes] = []
    yield opened
    for pushes in opened:
        pushes.client.disconnect()


def test_a_teams_numbers_skip_nothing_during_the_freeze(
    embedded_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
    browser: Any,
    pushes_of: list[Pushes],
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    pushes = Pushes(server, contest, "팀0")
    pushes_of.append(pushes)
    mine = bearer(contest.tokens["팀0"])
    organizer = bearer(contest.staff_tokens["organizer"])

    first = sent(server, contest, "팀0", 1)
    assert first["number"] == 1
    assert pushes.final(first["id"])["number"] == 1
    cli(embedded_env, "freeze", contest.event)
    for seed, team in enumerate(["팀1", "팀2", "팀1", "팀2"], start=2):
        sent(server, contest, team, seed)  # the others' activity, hidden by the freeze

    # The API's reply: the next number, and an id that counts nothing.
    second = sent(server, contest, "팀0", 9)
    assert second["number"] == 2
    assert isinstance(second["id"], str) and not second["id"].isdigit()
    assert second["id"] != first["id"]
    # The live push names it the same way.
    pushed = pushes.final(second["id"])
    assert pushed["number"] == 2 and pushed["id"] == second["id"]
    # So does the API, asked by that id.
    got = requests.get(f"{server.url}/api/v1/submissions/{second['id']}", headers=mine, timeout=10)
    assert got.status_code == 200
    assert (got.json()["id"], got.json()["number"]) == (second["id"], 2)

    # The global id is for staff: a team trying numbers finds nothing, not even its own.
    number = global_id(embedded_env, second["id"])
    url = f"{server.url}/api/v1/submissions/{number}"
    assert requests.get(url, headers=mine, timeout=10).status_code == 404
    staff_view = requests.get(url, headers=organizer, timeout=10).json()
    assert (staff_view["id"], staff_view["number"]) == (number, 2)

    # The command line prints the team's number, and the reply it prints says the same.
    done = subprocess.run(
        [HACKJUDGE, "submit", contest.event, contest.task, str(write(tmp_path, contest))],
        env={
            **os.environ,
            "HACKJUDGE_SERVER": server.url,
            "HACKJUDGE_TOKEN": contest.tokens["팀0"],
            "HACKJUDGE_CONFIG": str(tmp_path / "none.json"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "submission 3 queued\n"
    third = json.loads(done.stdout)
    assert third["number"] == 3 and not str(third["id"]).isdigit()

    # The team page: its own numbers, newest first, each row keyed by the opaque id.
    page = browser_sign_in(browser, server, "p0@test.kr", contest.passwords["p0@test.kr"])
    page.goto(f"{server.url}/events/{contest.event}/team")
    rows = page.locator("#history tbody tr")
    wait_for(lambda: rows.count() == 3, 15, "the three submissions listed")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == ["3", "2", "1"]
    assert [rows.nth(i).get_attribute("data-id") for i in range(3)] == [
        third["id"],
        second["id"],
        first["id"],
    ]
    page.close()


def write(tmp_path: Path, contest: Contest) -> Path:
    path = tmp_path / "cli.csv"
    path.write_bytes(prediction_csv(contest.truth, 0.3, 10))
    return path


@pytest.mark.parametrize("mode", ["postgres", "sqlite"])
def test_concurrent_uploads_get_consecutive_numbers(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path, spawned: list[Proc]
) -> None:
    env = request.getfixturevalue("production_env" if mode == "postgres" else "embedded_env")
    contest = seed_env(env, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")
    senders = ["팀0", "팀1"] * 4  # two teams, four uploads each, all at once
    barrier = threading.Barrier(len(senders))
    replies: list[dict[str, Any]] = [{} for _ in senders]

    def send(slot: int) -> None:
        barrier.wait()
        replies[slot] = sent(server, contest, senders[slot], slot)

    threads = [threading.Thread(target=send, args=(slot,)) for slot in range(len(senders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for team in ("팀0", "팀1"):
        numbers = sorted(r["number"] for r, s in zip(replies, senders, strict=True) if s == team)
        assert numbers == [1, 2, 3, 4], (team, numbers)
    assert len({r["id"] for r in replies}) == len(senders)


@pytest.mark.parametrize("mode", ["postgres", "sqlite"])
def test_concurrent_uploads_at_the_quota_edge_take_exactly_the_quota(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path, spawned: list[Proc]
) -> None:
    """Eight uploads of one team at once against a daily quota of three: three accepted,
    numbered 1 to 3, five refused with the quota's code, and three rows."""
    env = request.getfixturevalue("production_env" if mode == "postgres" else "embedded_env")
    contest = seed_env(env, tmp_path, daily_limit=3)
    server = server_in(env, spawned, tmp_path, "web")
    barrier = threading.Barrier(8)
    replies: list[requests.Response] = []
    lock = threading.Lock()

    def send(seed: int) -> None:
        barrier.wait()
        reply = Api(server, contest).upload("팀0", prediction_csv(contest.truth, 0.3, seed))
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=send, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = [r.json() for r in replies if r.status_code == 202]
    refused = [r for r in replies if r.status_code != 202]
    assert sorted(a["number"] for a in accepted) == [1, 2, 3], [r.text for r in replies]
    assert [(r.status_code, r.json()["error"]["code"]) for r in refused] == [
        (429, "daily_quota")
    ] * 5
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            numbers = session.scalars(select(Submission.number).order_by(Submission.number))
            assert numbers.all() == [1, 2, 3]
    finally:
        assert database.engine is not None
        database.engine.dispose()

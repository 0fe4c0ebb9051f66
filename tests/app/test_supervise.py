"""Issue 12 (11): ``hackjudge supervise`` restarts a crashed worker or web node.

It runs the web node and N workers as its children; a child killed with SIGKILL comes back,
and a submission made afterwards is scored; SIGTERM stops every child and the supervisor.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from core.db import Database
from core.models import Submission
from tests.actions import Api
from tests.helpers import Proc, prediction_csv, seed_env, spawn, wait_for
from tests.services import RedisServer, free_port


def running(pid: int) -> bool:
    """Is ``pid`` a live process (a zombie is a dead one not yet reaped)?"""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def children(pid: int) -> dict[int, str]:
    """The live children of ``pid`` and their command lines (Linux /proc)."""
    found: dict[int, str] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in map(int, (task / "children").read_text().split()):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            except FileNotFoundError:
                continue
            if running(child):
                found[child] = cmdline.decode(errors="replace")
    return found


def of_kind(pid: int, kind: str) -> list[int]:
    return sorted(child for child, cmd in children(pid).items() if f" {kind}" in cmd)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_supervise_restarts_killed_children_and_stops_on_sigterm(
    production_env: dict[str, str],
    private_redis: RedisServer,
    tmp_path: Path,
    spawned: list[Proc],
) -> None:
    env = {**production_env, "HACKJUDGE_REDIS_URL": private_redis.url}
    env["HACKJUDGE_RECONCILE_SECONDS"] = "1"
    contest = seed_env(env, tmp_path)
    port = free_port()
    supervisor = spawn(
        ["supervise", "--workers", "2", "--port", str(port)], env, tmp_path / "supervise.log"
    )
    spawned.append(supervisor)
    base = f"http://127.0.0.1:{port}"
    pid = supervisor.popen.pid

    def answers() -> bool:
        assert supervisor.popen.poll() is None, supervisor.output()
        try:
            return requests.get(f"{base}/api/v1/openapi.json", timeout=2).ok
        except requests.ConnectionError:
            return False

    wait_for(answers, 60, "the supervised web node to answer")
    workers = wait_for(lambda: len(of_kind(pid, "worker")) == 2 and of_kind(pid, "worker"), 30)
    web = of_kind(pid, "serve")
    assert len(web) == 1

    # A worker dies as the OOM killer would end it: another takes its place.
    os.kill(workers[0], signal.SIGKILL)
    replaced = wait_for(
        lambda: (now := of_kind(pid, "worker")) and len(now) == 2 and workers[0] not in now and now,
        30,
        "the killed worker to be replaced",
    )
    assert workers[1] in replaced
    # So does the web node.
    os.kill(web[0], signal.SIGKILL)
    wait_for(lambda: (now := of_kind(pid, "serve")) and now != web, 30, "a new web node")
    wait_for(answers, 60, "the restarted web node to answer")

    Api(base, contest).submit("팀0", prediction_csv(contest.truth, 0.3, 1))
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])

    def scored() -> bool:
        with database.begin() as session:
            return session.scalar(select(Submission.status)) == "scored"

    try:
        wait_for(scored, 60, "the submission to be scored by a supervised worker")
    finally:
        assert database.engine is not None
        database.engine.dispose()

    everyone = list(children(pid))
    supervisor.popen.send_signal(signal.SIGTERM)
    assert supervisor.popen.wait(60) == 0, supervisor.output()
    assert not [child for child in everyone if running(child)]  # none outlives its supervisor

"""The web server's async mode (SPEC §10): gevent for production ``serve``, threads elsewhere.

``hackjudge serve`` in production runs under gevent (measured by ``bench/fanout.py``), so the
console script patches the process before anything imports the network stack; the database
and Redis drivers must then cooperate with the loop, and websockets must still work.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
from pathlib import Path

import pytest
import socketio

from config import Settings, launch_with_gevent
from tests.actions import Api
from tests.helpers import Proc, prediction_csv, seed_env, server_in, worker_in

PRODUCTION = {"HACKJUDGE_REDIS_URL": "redis://127.0.0.1:6379/0"}


@pytest.mark.parametrize(
    ("command", "environ", "patched"),
    [
        ("serve", PRODUCTION, True),
        ("serve", {}, False),  # embedded: scoring threads would freeze a gevent loop
        ("serve", {**PRODUCTION, "HACKJUDGE_ASYNC_MODE": "threading"}, False),
        ("serve", {"HACKJUDGE_ASYNC_MODE": "gevent"}, True),
        ("demo", PRODUCTION, False),  # the demo is always embedded
        ("worker", PRODUCTION, False),  # scores in-process: no loop to share
        ("worker", {"HACKJUDGE_ASYNC_MODE": "gevent"}, False),
        ("leaderboard", PRODUCTION, False),
        ("", PRODUCTION, False),
    ],
)
def test_the_launcher_patches_only_servers_that_want_gevent(
    command: str, environ: dict[str, str], patched: bool
) -> None:
    assert launch_with_gevent(command, environ) is patched


def test_an_unpatched_process_stays_on_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This pytest process, like `gunicorn --threads wsgi:app`, was never patched.
    monkeypatch.delenv("HACKJUDGE_ASYNC_MODE", raising=False)
    production = Settings(instance_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0")
    assert production.async_mode == "threading"
    monkeypatch.setenv("HACKJUDGE_ASYNC_MODE", "gevent")
    assert Settings(instance_dir=tmp_path).async_mode == "gevent"  # an explicit choice wins


PROBE = """
import json, sys
import hackjudge_launch
patched = hackjudge_launch.prepare(["serve"])
import app.cli  # what `serve` imports, after the patch
import psycopg.waiting, redis, socket
from config import Settings
print(json.dumps({
    "patched": patched,
    "async_mode": Settings().async_mode,
    "psycopg_wait": psycopg.waiting.wait.__name__,
    "socket": socket.socket.__module__,
}))
"""


@pytest.mark.slow  # a Python process of its own
def test_production_serve_patches_before_the_drivers_load(
    production_env: dict[str, str],
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, **production_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["patched"] is True
    assert probe["async_mode"] == "gevent"
    # psycopg picks its wait function at import: its C one would block the whole loop.
    assert probe["psycopg_wait"] != "wait_c"
    assert probe["socket"].startswith("gevent")  # redis-py's sockets yield to the loop


def test_production_serve_runs_gevent_and_pushes_over_websocket(
    production_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
    live_client: socketio.Client,
) -> None:
    contest = seed_env(production_env, tmp_path, teams=2, rows=300)
    server = server_in(production_env, spawned, tmp_path, "web")
    worker_in(production_env, spawned, tmp_path, "worker")
    assert "production (RQ + Redis), async mode gevent" in server.output()

    boards: queue.Queue = queue.Queue()
    live_client.on("leaderboard", boards.put, namespace="/live")
    live_client.connect(server.url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    assert live_client.transport() == "websocket"
    ack = live_client.call("subscribe", {"event": contest.event}, namespace="/live", timeout=10)
    assert ack["ok"] is True
    assert boards.get(timeout=10)["rows"] == []

    team = next(iter(contest.tokens))
    reply = Api(server, contest).upload(team, prediction_csv(contest.truth, 0.3, 1))
    assert reply.status_code == 202, reply.text
    while True:  # the worker's score, through Redis, to this websocket
        board = boards.get(timeout=60)
        if board["rows"]:
            break
    assert [row["team"] for row in board["rows"]] == [team]
    assert isinstance(board["rows"][0]["score"], float)


@pytest.mark.parametrize("setup", ["embedded", "production, explicit threading"])
def test_other_servers_run_on_threads(
    setup: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    spawned: list[Proc],
) -> None:
    if setup == "embedded":
        env = request.getfixturevalue("embedded_env")
    else:
        env = {**request.getfixturevalue("production_env"), "HACKJUDGE_ASYNC_MODE": "threading"}
    server = server_in(env, spawned, tmp_path, "web")
    assert "async mode threading" in server.output()


def test_serving_keeps_full_collections_rare() -> None:
    import gc

    from app.serving import GC_THRESHOLD, tune_garbage_collector

    before = gc.get_threshold()
    try:
        assert tune_garbage_collector() > 10_000  # this process's imports, out of every scan
        assert gc.get_threshold()[0] == GC_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

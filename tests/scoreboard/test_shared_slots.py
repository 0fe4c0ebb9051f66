"""Production mode coalesces a task's board pushes across the whole deployment (issue 14):
two web nodes and two workers that all see changes push at most once per interval between
them, end on the latest board, and an upload's attempt count shows without any score."""

from __future__ import annotations

import math
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import socketio
from redis import Redis

from config import PUSH_INTERVAL_MS
from scoreboard.slots import SharedSlots
from tests.actions import Api
from tests.helpers import Contest, Proc, seed_env, server_in, wait_for, worker_in

PUSH_INTERVAL_S = 2.0
TEAMS = 12


def viewer(server: Proc, contest: Contest) -> tuple[socketio.Client, queue.Queue]:
    client = socketio.Client(reconnection=False)
    inbox: queue.Queue = queue.Queue()
    # Each board with the moment it came: the burst ends with the last, not with our polling.
    client.on("leaderboard", lambda board: inbox.put((time.monotonic(), board)), namespace="/live")
    client.connect(server.url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    client.call("subscribe", {"event": contest.event}, namespace="/live", timeout=10)
    return client, inbox


def public(server: Proc, contest: Contest) -> dict:
    return requests.get(
        f"{server.url}/api/v1/events/{contest.event}/leaderboard", timeout=10
    ).json()


@pytest.mark.parametrize(
    ("interval_s", "files_each"),
    [(PUSH_INTERVAL_S, 1), (None, 3)],
    ids=["set to 2 s", "by default"],
)
def test_pushes_are_coalesced_across_nodes_and_workers(
    production_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
    monkeypatch: pytest.MonkeyPatch,
    interval_s: float | None,
    files_each: int,
) -> None:
    """Set, the interval holds across the deployment; unset, its default does (three files a
    team then: scores land far more often than the default lets boards go out)."""
    env = dict(production_env)
    if interval_s is None:
        # Not inherited from the shell that runs the tests (spawned processes take its env).
        monkeypatch.delenv("HACKJUDGE_PUSH_INTERVAL_MS", raising=False)
        interval_s = PUSH_INTERVAL_MS / 1000
    else:
        env["HACKJUDGE_PUSH_INTERVAL_MS"] = str(int(interval_s * 1000))
    contest = seed_env(env, tmp_path, teams=TEAMS, rows=100)
    nodes = [server_in(env, spawned, tmp_path, f"web{i}") for i in range(2)]
    for i in range(2):
        worker_in(env, spawned, tmp_path, f"worker{i}")
    client, inbox = viewer(nodes[0], contest)
    inbox.get(timeout=10)  # the answer to subscribe
    uploads = [(i, team, n) for n in range(files_each) for i, team in enumerate(contest.tokens)]
    began = time.monotonic()
    with ThreadPoolExecutor(6) as pool:
        sent = list(
            pool.map(
                # Each file of a team better than its last: the board changes with every score.
                lambda it: Api(nodes[it[0] % 2], contest).entry(
                    it[1], 0.2 + 0.02 * it[0] - 0.05 * it[2], it[0]
                ),
                uploads,
            )
        )
    api = Api(nodes[1], contest)
    for sub_id in sent:
        assert api.finished(sub_id, 90)["status"] == "scored"
    final = public(nodes[1], contest)
    assert len(final["rows"]) == TEAMS
    arrivals = [inbox.get(timeout=30)]
    while arrivals[-1][1]["rows"] != final["rows"]:
        arrivals.append(inbox.get(timeout=30))
    burst = arrivals[-1][0] - began
    boards = [board for _at, board in arrivals]
    # Four processes saw changes; the deployment pushed at most once per interval.
    allowed = 1 + math.floor(burst / interval_s)
    assert len(boards) <= allowed, (len(boards), allowed, f"burst {burst:.2f}s")
    versions = [b["version"] for b in boards]
    assert len(set(versions)) == len(versions) and versions[-1] == max(versions), versions
    if interval_s >= PUSH_INTERVAL_S:
        # Two seconds apart, boards arrive in the order they were made; at 200 ms a slow
        # refresh may land after the next one's (clients keep the newest version).
        assert all(a < b for a, b in zip(versions, versions[1:], strict=False)), versions
        assert len(boards) < len(uploads)
    client.disconnect()


def test_an_upload_shows_its_attempt_without_a_score(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    """No worker runs: the upload only marks its task, and the web node's clock pushes the
    new attempt count once no score's push has shown it for a second (within two)."""
    contest = seed_env(production_env, tmp_path, teams=2, rows=100)
    server = server_in(production_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    api.entry("팀0", 0.3)
    worker = worker_in(production_env, spawned, tmp_path, "worker")
    wait_for(lambda: public(server, contest)["rows"], 60, "the first score")
    worker.stop()
    client, inbox = viewer(server, contest)
    inbox.get(timeout=10)  # the answer to subscribe
    api.submit("팀0", contest.truth.to_csv(index=False).encode())
    _at, pushed = inbox.get(timeout=15)
    (row,) = pushed["rows"]
    assert row["team"] == "팀0" and row["submissions"] == 2
    client.disconnect()


def test_the_clock_settles_only_a_mark_no_push_showed_for_a_while(redis_url: str) -> None:
    """``again(older_than_s=…)``, the web node's clock: a fresh mark is left to the next
    score's push, one that waited longer is refreshed; a slot's waiter takes any mark."""
    connection = Redis.from_url(redis_url)
    slots = SharedSlots(connection, "test-slots", interval_s=0.05)
    slot, mark = slots._keys(7)
    slots.mark(7)
    first = connection.get(mark)
    assert first is not None and int(first) > 0  # the moment, Redis's clock
    slots.mark(7)
    assert connection.get(mark) == first  # the first change's moment stays
    assert slots.again(7, older_than_s=1.0) is None  # fresh: a push will show it
    assert connection.get(mark) == first  # and left for it
    connection.set(mark, int(first) - 1500)  # as if marked 1.5 s ago
    assert slots.again(7, older_than_s=1.0) == 0  # old: refreshed now, mark cleared
    assert connection.get(mark) is None and connection.exists(slot)
    connection.delete(slot)
    connection.set(mark, "1")  # a mark made before marks held their moment
    assert slots.again(7, older_than_s=1.0) == 0
    pipe = connection.pipeline()
    slots.mark(7, pipe)
    pipe.execute()
    connection.delete(slot)
    assert slots.again(7) == 0  # without an age: any mark (a slot's waiter)
    assert slots.again(7) is None  # nothing awaits now

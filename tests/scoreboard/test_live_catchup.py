"""Live boards under load and over reconnects (SPEC §6): coalescing, versions, catch-up."""

from __future__ import annotations

import math
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import socketio

from tests.actions import Api
from tests.helpers import Contest, Proc, seed_env, server_in, wait_for


def start(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], teams: int
) -> tuple[Proc, Contest]:
    contest = seed_env(embedded_env, tmp_path, teams=teams, rows=100)
    return server_in(embedded_env, spawned, tmp_path, "web"), contest


def entry(server: Proc, contest: Contest, team: str, seed: int) -> None:
    """An accepted file whose noise grows with ``seed``."""
    Api(server, contest).entry(team, 0.2 + 0.05 * seed, seed)


def api_board(server: Proc, contest: Contest) -> dict:
    return requests.get(
        f"{server.url}/api/v1/events/{contest.event}/leaderboard", timeout=10
    ).json()


def viewer(
    server: Proc, contest: Contest, since: dict | None = None
) -> tuple[socketio.Client, queue.Queue, dict]:
    client = socketio.Client(reconnection=False)
    inbox: queue.Queue = queue.Queue()
    client.on("leaderboard", lambda data: inbox.put((time.monotonic(), data)), namespace="/live")
    client.connect(server.url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    payload = {"event": contest.event, **({"since": since} if since is not None else {})}
    ack = client.call("subscribe", payload, namespace="/live", timeout=10)
    return client, inbox, ack


PUSH_INTERVAL_S = 2.0  # long against the burst, so the bound on pushes has a wide margin
TEAMS = 16


def test_a_burst_is_coalesced_and_ends_on_the_latest_board(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    env = {**embedded_env, "HACKJUDGE_PUSH_INTERVAL_MS": str(int(PUSH_INTERVAL_S * 1000))}
    server, contest = start(env, tmp_path, spawned, teams=TEAMS)
    client, inbox, _ack = viewer(server, contest)
    subscribed = inbox.get(timeout=10)[1]  # the answer to subscribe
    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda ts: entry(server, contest, *ts),
                [(team, i) for i, team in enumerate(contest.tokens)],
            )
        )
    final = wait_for(
        lambda: len(api_board(server, contest)["rows"]) == TEAMS and api_board(server, contest),
        60,
        "every team to be ranked",
    )
    # The trailing push comes at most one interval after the last change.
    boards = [inbox.get(timeout=30)[1]]
    while len(boards[-1]["rows"]) < TEAMS:
        boards.append(inbox.get(timeout=30)[1])
    burst = time.monotonic() - began

    # It ends on the latest board: what the API serves now, with nothing newer to push.
    assert boards[-1]["rows"] == final["rows"]
    assert boards[-1]["version"] == api_board(server, contest)["version"]
    # Each push is a new state: versions strictly increase, none is pushed twice.
    versions = [subscribed["version"], *(b["version"] for b in boards)]
    assert all(a < b for a, b in zip(versions, versions[1:], strict=False)), versions
    assert len(set(versions)) == len(versions), versions
    # Coalesced: pushes of a board are at least an interval apart on the server, and all of
    # them fell within the burst as timed here, so at most one leading push plus one per
    # whole interval of it; far fewer than the TEAMS changes (each ranks one more team).
    allowed = 1 + math.floor(burst / PUSH_INTERVAL_S)
    assert len(boards) <= allowed, (len(boards), allowed, f"burst {burst:.2f}s", versions)
    assert len(boards) < TEAMS, (len(boards), f"burst {burst:.2f}s", versions)
    client.disconnect()


def test_reconnect_with_since_gets_only_what_it_lacks(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    server, contest = start(embedded_env, tmp_path, spawned, teams=3)
    entry(server, contest, "팀0", 0)
    observer, watched, _ack = viewer(server, contest)  # stays connected throughout
    client, inbox, _ack = viewer(server, contest)

    def latest_push(queue_: queue.Queue, teams: int) -> dict:
        board = queue_.get(timeout=30)[1]
        while len(board["rows"]) < teams:
            board = queue_.get(timeout=30)[1]
        return board

    held = latest_push(inbox, 1)
    client.disconnect()  # the network drops

    entry(server, contest, "팀1", 1)
    entry(server, contest, "팀2", 2)
    final = latest_push(watched, 3)  # what the server published last

    again, inbox, ack = viewer(server, contest, since={contest.task: held["version"]})
    caught_up = inbox.get(timeout=10)[1]
    assert ack["sent"] == [{"task": contest.task, "board": "public", "version": final["version"]}]
    assert caught_up == final
    assert final["version"] > held["version"]
    again.disconnect()

    current, _inbox, ack = viewer(server, contest, since={contest.task: final["version"]})
    assert ack["sent"] == []  # already current: nothing is sent again
    current.disconnect()
    observer.disconnect()

"""Live boards under load and over reconnects (SPEC §6): coalescing, versions, catch-up."""

from __future__ import annotations

import queue
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import socketio

from tests.conftest import server_in
from tests.helpers import Contest, Proc, prediction_csv, seed_env, wait_for


def start(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], teams: int
) -> tuple[Proc, Contest]:
    contest = seed_env(embedded_env, tmp_path, teams=teams, rows=100)
    return server_in(embedded_env, spawned, tmp_path, "web"), contest


def upload(server: Proc, contest: Contest, team: str, seed: int) -> None:
    reply = requests.post(
        f"{server.url}/api/v1/events/{contest.event}/tasks/{contest.task}/submissions",
        headers={"Authorization": f"Bearer {contest.tokens[team]}"},
        files={"file": ("p.csv", prediction_csv(contest.truth, 0.2 + 0.05 * seed, seed))},
        timeout=30,
    )
    assert reply.status_code == 202, reply.text


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


def test_a_burst_is_coalesced_and_ends_on_the_latest_board(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    server, contest = start(embedded_env, tmp_path, spawned, teams=16)
    client, inbox, _ack = viewer(server, contest)
    inbox.get(timeout=10)  # the answer to subscribe
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda ts: upload(server, contest, *ts),
                [(team, i) for i, team in enumerate(contest.tokens)],
            )
        )
    final = wait_for(
        lambda: len(api_board(server, contest)["rows"]) == 16 and api_board(server, contest),
        60,
        "every team to be ranked",
    )
    pushes = [inbox.get(timeout=10)]
    while len(pushes[-1][1]["rows"]) < 16:
        pushes.append(inbox.get(timeout=10))
    times = [t for t, _ in pushes]
    boards = [b for _, b in pushes]
    assert boards[-1]["rows"] == final["rows"]
    assert boards[-1]["version"] == api_board(server, contest)["version"]
    assert [b["version"] for b in boards] == sorted({b["version"] for b in boards})
    # At most one push per 250 ms interval (a little jitter allowed on receipt).
    assert all(b - a >= 0.15 for a, b in zip(times, times[1:], strict=False)), times
    client.disconnect()


def test_reconnect_with_since_gets_only_what_it_lacks(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    server, contest = start(embedded_env, tmp_path, spawned, teams=3)
    upload(server, contest, "팀0", 0)
    observer, watched, _ack = viewer(server, contest)  # stays connected throughout
    client, inbox, _ack = viewer(server, contest)

    def latest_push(queue_: queue.Queue, teams: int) -> dict:
        board = queue_.get(timeout=30)[1]
        while len(board["rows"]) < teams:
            board = queue_.get(timeout=30)[1]
        return board

    held = latest_push(inbox, 1)
    client.disconnect()  # the network drops

    upload(server, contest, "팀1", 1)
    upload(server, contest, "팀2", 2)
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

"""The live channel under abuse (issue 12, item 3 and the push cap of item 5).

A ``subscribe`` costs a lookup of the board as last published, not a query; a socket that
floods is answered with rate-limit errors and disconnected while others are still served;
one address holds a bounded number of sockets; no message over the push cap is ever sent.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy import select

from app.extensions import db
from app.extensions import socketio as server_socketio
from core.db import utcnow
from core.models import Event, Status, Submission, Task
from scoreboard.boards import Board
from scoreboard.clock import BoardClock
from tests.actions import Api, drain, watch
from tests.helpers import (
    Contest,
    Proc,
    prediction_csv,
    seed_env,
    server_in,
    settle,
    wait_for,
    worker_in,
)

NS = "/live"


@pytest.fixture(params=["embedded", "production"])
def live_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Threads on SQLite (embedded) and gevent on PostgreSQL and Redis (``hackjudge serve``)."""
    return request.getfixturevalue(f"{request.param}_env")


# --- (a) a flood from one socket --------------------------------------------------------------


FLOOD = 400  # subscribes sent back to back by one socket, without waiting for answers


def test_a_flooding_socket_is_refused_and_dropped_while_others_are_served(
    live_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(live_env, tmp_path)
    server = server_in(live_env, spawned, tmp_path, "web")
    reply = Api(server, contest).upload("팀0", prediction_csv(contest.truth, 0.5, 1))
    assert reply.status_code == 202

    flooder, _flooder_boards = watch(server.url)
    dropped = threading.Event()
    flooder.on("disconnect", lambda *_: dropped.set(), namespace=NS)
    answers: queue.Queue = queue.Queue()
    for _ in range(FLOOD):
        with suppress(socketio.exceptions.BadNamespaceError):  # dropped mid-flood
            flooder.emit("subscribe", {"event": contest.event}, namespace=NS, callback=answers.put)

    # Meanwhile a well-behaved viewer on the same address subscribes and is answered...
    viewer, boards = watch(server.url)
    ack = viewer.call("subscribe", {"event": contest.event}, namespace=NS, timeout=15)
    assert ack["ok"] is True
    assert boards.get(timeout=15)["board"] == "public"
    # ...and the public board answers over HTTP.
    page = requests.get(f"{server.url}/api/v1/events/{contest.event}/leaderboard", timeout=15)
    assert page.status_code == 200 and page.json()["board"] == "public"

    wait_for(dropped.is_set, 30, "the flooding socket to be disconnected")
    replies = drain(answers)
    refused = [a for a in replies if a.get("code") == "rate_limited"]
    assert refused, replies[:5]
    assert all(a["ok"] is False and a["retry_after"] > 0 for a in refused)
    assert len(replies) < FLOOD  # dropped before its last events were even handled
    viewer.disconnect()


def ws_frame(text: str) -> bytes:
    """One masked client text frame (RFC 6455), payload under 126 bytes."""
    payload, mask = text.encode(), os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def raw_flooder(url: str, event: str, seconds: float) -> bool:
    """A socket joining ``/live`` by hand, then writing subscribes as fast as TCP takes them
    and reading nothing; whether the server dropped it before ``seconds`` were over."""
    address = url.removeprefix("http://").split(":")
    sock = socket.create_connection((address[0], int(address[1])), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {address[0]}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    seen = b""
    while b"\r\n\r\n" not in seen:
        seen += sock.recv(4096)
    sock.sendall(ws_frame(f"40{NS},"))
    while f"40{NS},".encode() not in seen:  # joined (the open packet came before)
        seen += sock.recv(4096)
    batch = ws_frame(f'42{NS},1["subscribe",{{"event":"{event}"}}]') * 64
    sock.settimeout(0.5)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with suppress(TimeoutError):  # the server reads no faster than it handles
                sock.sendall(batch)
        return False
    except OSError:  # reset or broken pipe: the server closed it
        return True
    finally:
        sock.close()


def test_a_raw_frame_flood_neither_stalls_the_node_nor_stays_connected(
    live_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(live_env, tmp_path)
    server = server_in(live_env, spawned, tmp_path, "web")
    with ThreadPoolExecutor(4) as pool:
        floods = [pool.submit(raw_flooder, server.url, contest.event, 20) for _ in range(4)]
        # While they write: the board over HTTP and a well-behaved viewer are answered.
        board = f"{server.url}/api/v1/events/{contest.event}/leaderboard"
        for _ in range(3):
            assert requests.get(board, timeout=15).status_code == 200
        viewer, boards = watch(server.url)
        ack = viewer.call("subscribe", {"event": contest.event}, namespace=NS, timeout=15)
        assert ack["ok"] is True and boards.get(timeout=15)["board"] == "public"
        viewer.disconnect()
        assert all(flood.result(timeout=60) for flood in floods)  # each one dropped


# --- (b) a subscribe costs a lookup ------------------------------------------------------------


class Statements:
    """Every SQL statement the app's engine runs while ``recording``."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.recording = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.recording:
            self.seen.append(statement)

    def board_computations(self) -> list[str]:
        # Every board reads the standings (live) or the submissions (frozen, private);
        # catalogue and version checks never do.
        return [s for s in self.seen if "submissions" in s or "standings" in s]


@pytest.fixture
def statements(app: Flask) -> Iterator[Statements]:
    recorder = Statements()
    sa_event.listen(db.engine, "before_cursor_execute", recorder)
    yield recorder
    sa_event.remove(db.engine, "before_cursor_execute", recorder)


def subscribe(viewer: Any) -> tuple[dict, list[dict]]:
    """The acknowledgement of one ``subscribe`` and the boards that came with it."""
    viewer.get_received(NS)
    ack = viewer.emit("subscribe", {"event": "test-event"}, namespace=NS, callback=True)
    boards = [m["args"][0] for m in viewer.get_received(NS) if m["name"] == "leaderboard"]
    return ack, boards


def test_b_subscribes_cost_no_board_computation_and_keep_the_freeze(
    app: Flask, contest: Contest, statements: Statements, api: Api
) -> None:
    api.entry("팀0", 0.8, 1)
    with db.begin() as session:  # `hackjudge freeze`: the freeze starts now
        session.scalars(select(Event)).one().freeze_at = utcnow()
    BoardClock(db, app.extensions["hackjudge"].publisher).tick()  # the web node's clock
    settle(app)
    api.entry("팀1", 0.1, 2)  # after the freeze: staff see it, nobody else

    def viewer(token: str | None = None) -> Any:
        return server_socketio.test_client(
            app, namespace=NS, auth={"token": token} if token else None
        )

    anonymous = [viewer() for _ in range(6)]
    participant = viewer(contest.tokens["팀1"])
    judge = viewer(contest.staff_tokens["judge"])
    # First contact of each kind, on other sockets: a board never pushed yet (the private one)
    # is computed once, and a participant's team is looked up once per socket.
    for first in (viewer(), participant, viewer(contest.staff_tokens["organizer"])):
        assert subscribe(first)[0]["ok"] is True

    statements.recording = True
    answers: list[tuple[dict, list[dict]]] = []
    for each in (*anonymous, participant):
        answers += [subscribe(each) for _ in range(4)]
    staff_ack, staff_boards = subscribe(judge)
    statements.recording = False
    assert statements.board_computations() == []
    assert len(statements.seen) <= 6, statements.seen  # a catalogue refresh, never per call

    # What the cache served is exactly the frozen board the API shows non-staff; a socket is
    # sent a version once (it has every later push, being in the room).
    listed = app.test_client().get(f"/api/v1/events/{contest.event}/leaderboard").get_json()
    assert [r["team"] for r in listed["rows"]] == ["팀0"]
    public = [board for _ack, boards in answers for board in boards]
    assert len(public) == len(anonymous)
    for board in public:
        assert board["frozen"] is True and board["board"] == "public"
        assert board["rows"] == listed["rows"] and board["version"] == listed["version"]
    for i, (ack, _boards) in enumerate(answers):
        assert ack["ok"] is True and ack["boards"] == ["public"]
        first_of_a_fresh_socket = i % 4 == 0 and i < 4 * len(anonymous)
        assert len(ack["sent"]) == (1 if first_of_a_fresh_socket else 0), (i, ack)
    by_board = {b["board"]: b for b in staff_boards}
    assert set(by_board) == {"public", "staff", "private"} and staff_ack["boards"] == list(by_board)
    assert {r["team"] for r in by_board["staff"]["rows"]} == {"팀0", "팀1"}

    # A new score is served as pushed: the publisher's push fills the cache, no recompute.
    api.entry("팀2", 0.2, 3)
    statements.seen.clear()
    statements.recording = True
    _ack, after = subscribe(judge)
    statements.recording = False
    assert statements.board_computations() == []
    staff = next(b for b in after if b["board"] == "staff")
    assert {r["team"] for r in staff["rows"]} == {"팀0", "팀1", "팀2"}
    assert staff["version"] > by_board["staff"]["version"]
    for each in (*anonymous, participant, judge):
        each.disconnect(NS)


def test_b_a_cold_board_is_computed_once_however_many_ask(
    app: Flask, contest: Contest, statements: Statements, api: Api
) -> None:
    from scoreboard.live_cache import LiveCache

    api.entry("팀0", 0.5, 1)

    def lookup(cache: LiveCache) -> dict:
        found = cache.event(contest.event)
        assert found is not None
        return cache.board(found, found.tasks[0], Board.PUBLIC)

    statements.recording = True
    alone = lookup(LiveCache(db))
    once = len(statements.board_computations())
    statements.seen.clear()

    cache = LiveCache(db)
    barrier = threading.Barrier(12)
    results: list[dict] = []

    def ask() -> None:
        barrier.wait()
        results.append(lookup(cache))

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statements.recording = False
    assert once > 0
    assert len(statements.board_computations()) == once
    assert len(results) == 12 and all(r == alone for r in results)


# --- (c) connections per address ---------------------------------------------------------------


def test_c_one_address_holds_at_most_the_cap_of_sockets(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    env = {**embedded_env, "HACKJUDGE_LIVE_CONNECTIONS_PER_IP": "3"}
    seed_env(env, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")
    held = [watch(server.url)[0] for _ in range(3)]
    extra = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        extra.connect(server.url, namespaces=[NS], transports=["websocket"], wait_timeout=10)
    assert all(client.connected for client in held)

    held.pop().disconnect()

    def accepted() -> socketio.Client | None:
        try:
            return watch(server.url)[0]
        except socketio.exceptions.ConnectionError:
            return None

    again = wait_for(accepted, 15, "a socket to be accepted after one left")
    assert again.connected
    for client in (*held, again):
        client.disconnect()


def bare_engine_io(url: str) -> socket.socket:
    """A websocket that opens an engine.io session and never joins a namespace."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    seen = b""
    while b'0{"sid"' not in seen:  # the engine.io open packet
        chunk = sock.recv(4096)
        assert chunk, seen
        seen += chunk
    return sock


def test_c_connections_that_never_join_count_too(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    env = {**embedded_env, "HACKJUDGE_LIVE_CONNECTIONS_PER_IP": "2"}
    seed_env(env, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")
    bare = [bare_engine_io(server.url) for _ in range(2)]
    with pytest.raises(socketio.exceptions.ConnectionError):
        watch(server.url)
    bare.pop().close()
    again = wait_for(
        lambda: suppress_refusal(lambda: watch(server.url)[0]), 15, "a socket after one left"
    )
    assert again.connected
    again.disconnect()
    for sock in bare:
        sock.close()


def suppress_refusal(attempt: Any) -> Any:
    try:
        return attempt()
    except socketio.exceptions.ConnectionError:
        return None


def test_c_behind_a_proxy_each_forwarded_client_has_its_own_cap(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    env = {
        **embedded_env,
        "HACKJUDGE_LIVE_CONNECTIONS_PER_IP": "1",
        "HACKJUDGE_PROXY_COUNT": "1",  # nginx in front: every socket comes from its address
    }
    seed_env(env, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")

    def via_proxy(client_address: str) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        client.connect(
            server.url,
            namespaces=[NS],
            transports=["websocket"],
            headers={"X-Forwarded-For": client_address},
            wait_timeout=10,
        )
        return client

    first, second = via_proxy("203.0.113.7"), via_proxy("203.0.113.8")
    assert first.connected and second.connected
    with pytest.raises(socketio.exceptions.ConnectionError):
        via_proxy("203.0.113.7")
    for client in (first, second):
        client.disconnect()


# --- (d) no push over the cap ------------------------------------------------------------------


def sizes_of(inbox: queue.Queue) -> list[tuple[int, dict]]:
    return [(len(json.dumps(board)), board) for board in drain(inbox)]


def test_d_a_push_over_the_cap_is_never_emitted(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    env = {**production_env, "HACKJUDGE_MAX_PUSH_KB": "1"}
    contest = seed_env(env, tmp_path, teams=10, rows=100)
    server = server_in(env, spawned, tmp_path, "web")
    worker = worker_in(env, spawned, tmp_path, "worker")
    viewer, boards = watch(server.url)
    assert viewer.call("subscribe", {"event": contest.event}, namespace=NS, timeout=10)["ok"]
    for i, team in enumerate(contest.tokens):
        assert Api(server, contest).upload(team, prediction_csv(contest.truth, 0.3, i)).ok

    def api_rows() -> int:
        url = f"{server.url}/api/v1/events/{contest.event}/leaderboard"
        return len(requests.get(url, timeout=10).json()["rows"])

    # 120 s: the reconciler re-dispatches within 30 s if the queue lost jobs meanwhile.
    wait_for(lambda: api_rows() == 10, 120, "every team to be ranked")
    wait_for(
        lambda: "over the live message cap" in worker.output() + server.output(),
        30,
        "the oversized board to be refused",
    )
    received = sizes_of(boards)
    assert received, "the small boards before the cap still arrive"
    assert all(size <= 1024 for size, _board in received), [s for s, _ in received]
    assert all(len(board["rows"]) < 10 for _size, board in received)

    # A late viewer gets at most the last board that fitted (the full one is read over HTTP).
    late, late_boards = watch(server.url)
    ack = late.call("subscribe", {"event": contest.event}, namespace=NS, timeout=10)
    assert ack["ok"] is True and len(ack["sent"]) <= 1
    wait_for(lambda: late_boards.qsize() >= len(ack["sent"]), 10, "the boards the ack lists")
    late_received = sizes_of(late_boards)
    assert len(late_received) == len(ack["sent"])
    assert all(size <= 1024 and len(b["rows"]) < 10 for size, b in late_received)
    assert viewer.connected
    for client in (viewer, late):
        client.disconnect()


def test_d_a_long_text_in_a_push_is_cut_to_fit(app: Flask, contest: Contest, api: Api) -> None:
    from scoreboard.publish import Publisher

    member = server_socketio.test_client(app, namespace=NS, auth={"token": contest.tokens["팀0"]})
    assert subscribe(member)[0]["ok"] is True
    api.entry("팀0", 0.5, 1)
    with db.begin() as session:
        sub = session.scalars(select(Submission)).one()
        task = session.get(Task, sub.task_id)
        sub.status, sub.error = Status.INVALID, "unknown id " + "x" * 200_000  # as a worker stored
        session.flush()
        Publisher(server_socketio, db, max_push_bytes=4096).submission(sub, task)
    pushed = [m["args"][0] for m in member.get_received(NS) if m["name"] == "submission"]
    message = pushed[-1]
    assert message["status"] == "invalid"
    assert len(json.dumps(message)) <= 4096
    assert message["error"].startswith("unknown id xxx") and message["error"].endswith("…")
    assert all(text.endswith("…") for text in message["errors"].values())
    member.disconnect(NS)


def test_d_bounding_keeps_small_messages_and_refuses_what_cannot_shrink() -> None:
    from scoreboard.publish import bounded

    small = {"rows": [{"team": "팀0", "score": 0.5}], "error": None}
    assert bounded(small, 1024) is small
    cut = bounded({"id": 7, "errors": {"en": "a" * 5000, "ko": "가" * 5000}}, 4096)
    assert cut is not None and cut["id"] == 7 and len(json.dumps(cut)) <= 4096
    assert cut["errors"]["en"].startswith("aaa") and cut["errors"]["ko"].endswith("…")
    many = {"rows": [{"rank": i, "team": "t"} for i in range(10_000)]}
    assert bounded(many, 1024) is None  # many short values: nothing to cut, not sent

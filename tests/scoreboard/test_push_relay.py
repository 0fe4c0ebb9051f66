"""A web node relaying the deployment's pushes (issue 14): every push heard from Redis is
cached, measured by the length it came as rather than encoded again, and encoded for a room
only if someone on this node is in it; a push not known to fit is still measured and cut."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_lib
import socketio

import app.live.relay as relay_module
import scoreboard.live_cache as live_cache_module
from app.extensions import db
from app.live.limits import LiveLimits, Quotas
from app.live.relay import LiveState, ProductionManager, carried_at_most
from config import Settings
from scoreboard.live_cache import LiveCache
from scoreboard.publish import wire_size

NS = "/live"


def board(board: str, version: int, team: str = "team0", rows: int = 50) -> dict[str, Any]:
    return {
        "event": "e",
        "task": "t",
        "board": board,
        "version": version,
        "rows": [{"rank": i + 1, "team": f"{team}-{i}", "score": 0.5} for i in range(rows)],
    }


def heard(data: Any, room: str, *, host: str = "another-process") -> bytes:
    """A ``leaderboard`` emit as another process puts it on Redis."""
    message = {
        "method": "emit",
        "event": "leaderboard",
        "data": [data],
        "binary": False,
        "namespace": NS,
        "room": room,
        "skip_sid": None,
        "callback": None,
        "host_id": host,
    }
    return json.dumps(message).encode()


def delivered(packet: Any) -> Any:
    """What a Socket.IO client on ``/live`` reads from an engine.io packet sent to it."""
    client_side = socketio.packet.Packet(encoded_packet=packet.encode()[1:])  # '4': a message
    assert client_side.packet_type == socketio.packet.EVENT and client_side.namespace == NS
    return client_side.data


def live_state(max_push_bytes: int) -> LiveState:
    settings = Settings(database_url="sqlite://", secret_key="x")
    return LiveState(LiveCache(db), LiveLimits(Quotas.of(settings)), max_push_bytes=max_push_bytes)


class Relay:
    """A ``ProductionManager`` fed raw messages, recording what it sends to sockets."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, max_push_bytes: int) -> None:
        self.live = live_state(max_push_bytes)
        # Never connects: nothing here publishes or listens on Redis.
        self.manager = ProductionManager("redis://127.0.0.1:1/0", "relay-test", self.live)
        self.server = socketio.Server(client_manager=self.manager, async_mode="threading")
        self.sent: list[tuple[str, Any]] = []
        self.server._send_eio_packet = lambda eio_sid, pkt: self.sent.append((eio_sid, pkt))  # type: ignore[method-assign]
        self.encoded: list[str] = []
        relay = self

        class CountedPacket(self.server.packet_class):  # type: ignore[name-defined,misc]
            def encode(self) -> Any:
                relay.encoded.append(self.data[0])
                return super().encode()

        self.server.packet_class = CountedPacket
        self.raw: list[bytes] = []
        monkeypatch.setattr(socketio.RedisManager, "_listen", lambda _self: iter(self.raw))

    def join(self, sid: str, eio_sid: str, room: str) -> None:
        self.manager.basic_enter_room(sid, NS, None, eio_sid=eio_sid)
        self.manager.basic_enter_room(sid, NS, room, eio_sid=eio_sid)

    def hear(self, *raw: bytes) -> None:
        self.raw[:] = raw
        for message in self.manager._listen():
            self.manager._handle_emit(message)


@pytest.fixture
def encodings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every measuring of a whole payload by the relay (``fit``, the cache's ``wire_size``)."""
    seen: list[str] = []
    real_fit, real_size = relay_module.fit, live_cache_module.wire_size

    def counted_fit(*args: Any) -> Any:
        seen.append("fit")
        return real_fit(*args)

    def counted_size(data: Any) -> int:
        seen.append("wire_size")
        return real_size(data)

    monkeypatch.setattr(relay_module, "fit", counted_fit)
    monkeypatch.setattr(live_cache_module, "wire_size", counted_size)
    yield seen


def test_a_push_is_cached_by_its_length_and_sent_only_to_a_room_held_here(
    monkeypatch: pytest.MonkeyPatch, encodings: list[str]
) -> None:
    relay = Relay(monkeypatch, max_push_bytes=1_000_000)
    relay.join("viewer", "eio-viewer", "public:e")
    relay.join("judge", "eio-judge", "staff:e")
    public, staff = board("public", 3), board("staff", 3)
    relay.hear(heard(public, "public:e"), heard(staff, "staff:e"))

    assert encodings == []  # measured by the length each came as, never encoded again
    cache = relay.live.cache
    for payload in (public, staff):
        cached = cache._boards[("e", "t", payload["board"])]
        assert cached.payload == payload
        assert wire_size(payload) <= cached.size <= 1_000_000
    assert sorted(eio_sid for eio_sid, _pkt in relay.sent) == ["eio-judge", "eio-viewer"]


def test_a_push_for_a_room_nobody_here_holds_is_not_even_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no staff on this node, a staff board goes by undecoded, and the copy cached here
    is forgotten (a later ``subscribe`` reads the database); the public board's stays."""
    relay = Relay(monkeypatch, max_push_bytes=1_000_000)
    relay.join("viewer", "eio-viewer", "public:e")
    cache = relay.live.cache
    cache.published(board("staff", 2))
    cache.published(board("public", 2))
    decoded: list[bytes] = []
    real_loads = json.loads
    monkeypatch.setattr(
        relay_module.json, "loads", lambda raw: decoded.append(raw) or real_loads(raw)
    )
    # A team name that spells the envelope's keys stays inside its string, escaped.
    public = board("public", 3, team='x", "binary": false, "room": "staff:e", "host_id": "y')
    staff = board("staff", 3)
    relay.hear(heard(staff, "staff:e"), heard(public, "public:e"), heard(staff, "team:9"))

    # The staff board and the team's: their envelopes alone; the public board: whole.
    assert [len(raw) < 200 for raw in decoded] == [True, True, False, True]
    assert ("e", "t", "staff") not in cache._boards
    assert cache._boards[("e", "t", "public")].payload == public
    assert [eio_sid for eio_sid, _pkt in relay.sent] == ["eio-viewer"]
    assert delivered(relay.sent[0][1]) == ["leaderboard", public]
    assert relay.encoded == []  # sent as the text it came as
    # This node's own emit, delivered when it was made, is skipped unread too.
    decoded.clear()
    relay.hear(heard(board("public", 4), "public:e", host=relay.manager.host_id))
    assert all(len(raw) < 200 for raw in decoded) and len(relay.sent) == 1


def test_a_push_not_known_to_fit_is_measured_and_cut_as_before(
    monkeypatch: pytest.MonkeyPatch, encodings: list[str]
) -> None:
    relay = Relay(monkeypatch, max_push_bytes=2048)
    relay.join("viewer", "eio-viewer", "public:e")
    small, large = board("public", 1, rows=5), board("public", 2, rows=200)
    relay.hear(heard(small, "public:e"))
    assert encodings == []
    relay.hear(heard(large, "public:e"))  # its message is longer than the cap: measured
    assert "fit" in encodings
    # Over the cap, with nothing to cut: neither cached nor sent.
    assert relay.live.cache._boards[("e", "t", "public")].payload == small
    assert len(relay.sent) == 1


def test_the_bound_holds_for_text_written_as_utf8() -> None:
    for text in ("ascii", "팀 이름", "é" * 30, "😀" * 30, 'quote " and \\ and \n'):
        payload = board("public", 1, team=text, rows=3)
        for raw in (
            json.dumps({"data": [payload]}).encode(),  # python-socketio's emitters
            json.dumps({"data": [payload]}, ensure_ascii=False).encode(),  # Flask's JSON
        ):
            assert wire_size(payload) <= carried_at_most(raw)


def test_a_board_is_sent_as_it_came_and_reads_as_python_socketio_would_have_sent_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay = Relay(monkeypatch, max_push_bytes=1_000_000)
    relay.join("viewer", "eio-viewer", "public:e")
    relay.join("other", "eio-other", "public:e")
    public = board("public", 5, team='팀 "이름" \\ {[,]} 😀')
    relay.hear(heard(public, "public:e"))

    assert relay.encoded == []
    assert sorted(eio_sid for eio_sid, _pkt in relay.sent) == ["eio-other", "eio-viewer"]
    for _eio_sid, packet in relay.sent:
        assert delivered(packet) == ["leaderboard", public]
    # Not a plain emit to a room (a socket skipped): python-socketio encodes it, as before.
    relay.sent.clear()
    message = json.loads(heard(public, "public:e"))
    relay.hear(json.dumps({**message, "skip_sid": "other"}).encode())
    assert relay.encoded == ["leaderboard"]
    assert [(eio_sid, delivered(pkt)) for eio_sid, pkt in relay.sent] == [
        ("eio-viewer", ["leaderboard", public])
    ]


def test_the_relay_hears_a_workers_push_over_resp2(redis_url: str) -> None:
    """A push published by another process (a worker's emitter, on redis-py's RESP3 default)
    reaches a node's relay through a real Redis; the relay listens over RESP2, where a message
    heard is a plain reply, not a push notification redis-py renders as text for its debug
    log (issue 14)."""
    manager = ProductionManager(redis_url, "relay-resp2-test", live_state(1_000_000))
    listening = manager._listen()
    got: list[Any] = []
    listener = threading.Thread(target=lambda: got.append(next(listening)), daemon=True)
    listener.start()
    publisher = redis_lib.Redis.from_url(redis_url)
    deadline = time.monotonic() + 10
    while publisher.pubsub_numsub("relay-resp2-test")[0][1] == 0:
        assert time.monotonic() < deadline, "the relay never subscribed"
        time.sleep(0.01)
    # Not in python-socketio's key order: decoded whole, whatever its room.
    message = {"event": "status", "method": "emit", "data": ["x"], "room": None}
    publisher.publish("relay-resp2-test", json.dumps(message))
    listener.join(timeout=10)

    assert got == [{**message, relay_module.CARRIED_AT_MOST: len(json.dumps(message))}]
    assert manager.pubsub.connection.get_protocol() in (2, "2")
    listening.close()
    manager.pubsub.close()

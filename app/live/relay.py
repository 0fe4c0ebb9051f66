"""Where pushes leave a web node: the Socket.IO managers (SPEC §6, issues 12 and 14).

Every message passes the push cap here, whoever emits it, and every ``leaderboard`` becomes
the node's cached board. In production every node hears every push of the deployment through
Redis: one for a room nobody on the node is in goes by undecoded, and a board for a room held
here is forwarded as the text it came as, never encoded again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import socketio as socketio_lib
from engineio import packet as eio_packet

from app.live.limits import LiveLimits
from scoreboard.live_cache import LiveCache
from scoreboard.publish import boards_of_room, fit


@dataclass
class LiveState:
    """The live channel's state in one web process."""

    cache: LiveCache
    limits: LiveLimits
    max_push_bytes: int
    rechecking: bool = False  # the loop of ``_recheck`` runs in this process


class EmbeddedManager(socketio_lib.Manager):
    """Embedded mode: this process delivers what it emits (scoring threads included)."""

    def __init__(self, live: LiveState) -> None:
        super().__init__()
        self.live = live

    def emit(  # type: ignore[override]
        self, event: str, data: Any, namespace: str, *args: Any, **kwargs: Any
    ) -> Any:
        fitted = _fit(self.live, event, data, kwargs)
        if fitted is None:
            return None
        if event == "leaderboard" and self.live.cache.measured(fitted) is None:
            self.live.cache.published(fitted)  # a push (a subscribe's answer is cached already)
        return super().emit(event, fitted, namespace, *args, **kwargs)


# Where ``ProductionManager._listen`` notes a bound on the size of what a message carries.
CARRIED_AT_MOST = "hackjudge_at_most"
# Where it keeps the text a message came as and its envelope's offset, when :func:`peek`
# could read the envelope.
CAME_AS = "hackjudge_came_as"


# python-socketio's emitters write an emit's envelope with the standard encoder, its keys in
# this order: method, event, data, binary, namespace, room, skip_sid, callback, host_id. Past
# the data, a ``"binary"`` key can only be the envelope's (quotes inside strings are escaped),
# so the last one starts the envelope's own fields.
EMIT_HEAD = b'{"method": "emit", "event": "'
LEADERBOARD_HEAD = EMIT_HEAD + b'leaderboard", "data": '
ENVELOPE_TAIL = b', "binary": '


def peek(raw: bytes) -> tuple[dict[str, Any], int] | None:
    """An emit's envelope (room, namespace, host) read without its data, and the offset where
    it starts, if written as python-socketio writes it; else None, and the message is decoded
    whole."""
    if not raw.startswith(EMIT_HEAD):
        return None
    at = raw.rfind(ENVELOPE_TAIL)
    if at < 0:
        return None
    try:
        envelope = json.loads(b"{" + raw[at + 2 :])
    except ValueError:
        return None
    if not isinstance(envelope, dict) or not {"room", "namespace", "host_id"} <= envelope.keys():
        return None
    return envelope, at


def carried_at_most(raw: bytes) -> int:
    """A bound on the JSON size (``wire_size``) of any value inside the JSON text ``raw``.

    That value's own text is a part of ``raw``: written as an emitter writes it (ASCII, non-ASCII
    escaped) no longer than ``raw``; an emitter writing UTF-8 as it is (Flask's JSON) may use
    fewer bytes than the escapes, at most 3 times fewer (2 bytes for ``\\u00e9``, 4 for a
    surrogate pair).
    """
    return len(raw) if raw.isascii() else 3 * len(raw)


class ProductionManager(socketio_lib.RedisManager):
    """Production: emits go through Redis; every node delivers what it hears, its own too.

    Every node hears every push of the deployment, boards of tens of KB several times a
    second in a rush, most for rooms with nobody on this node (the staff boards): each is
    decoded once, measured by the length it came as and cached; a board for a room someone
    here is in is sent as the text it came as (issue 14: three encodings a push were ~3 ms of
    a node's CPU per upload; the last one, and python-socketio's walk of the payload for
    bytes, were still ~7% of the node's CPU in a rush).
    """

    def __init__(self, url: str, channel: str, live: LiveState) -> None:
        # RESP2: over RESP3 (redis-py's default since 8.0) every message heard comes as a push
        # notification, which redis-py renders whole as text for a debug log line whether or
        # not that logs: ~2% of a node's CPU in a rush (issue 14), for boards of tens of KB.
        super().__init__(url, channel=channel, write_only=False, redis_options={"protocol": 2})
        self.live = live

    def _listen(self) -> Any:
        # Decoded here rather than in ``_thread`` (which takes a dict as it is), to keep the
        # length of the text each message came as; by the standard decoder, not engine.io's,
        # whose check of every integer (against a client's huge numbers) doubled the cost of
        # decoding a board: what comes through Redis was written by this deployment.
        for raw in super()._listen():
            if not isinstance(raw, bytes):
                yield raw
                continue
            peeked = peek(raw)
            if peeked is not None and not self._wanted(peeked[0], raw):
                continue
            try:
                message = json.loads(raw)
            except ValueError:
                continue  # as ``_thread`` does with what it cannot decode
            if isinstance(message, dict):
                message[CARRIED_AT_MOST] = carried_at_most(raw)
                if peeked is not None:
                    # Read as it was written: its data can be sent so.
                    message[CAME_AS] = (raw, peeked[1])
                yield message

    def _wanted(self, envelope: dict[str, Any], raw: bytes) -> bool:
        """Is an emit, known by its envelope alone, worth decoding here? Not this node's own
        (delivered when it was made; ``_thread`` skips it too), nor one for a room nobody
        here is in: a staff board of ~30 KB a refresh, with no staff on the node, cost more
        to decode than anything done with it. A board not decoded is forgotten from the
        cache, so that a later ``subscribe`` reads the database rather than an old copy."""
        if envelope.get("host_id") == self.host_id:
            return False
        if self._local(envelope.get("namespace"), envelope.get("room")):
            return True
        if raw.startswith(LEADERBOARD_HEAD):
            room = envelope.get("room")
            for name in room if isinstance(room, list) else [room]:
                self.live.cache.forget(*boards_of_room(str(name)))
        return False

    def _local(self, namespace: str | None, room: Any) -> bool:
        """Is anyone on this node in ``room`` (a name, a list of names, or None: all)?"""
        joined = self.rooms.get(namespace or "/", {})
        rooms = room if isinstance(room, list | tuple) else [room]
        return any(joined.get(name) for name in rooms)

    def emit(self, event: str, data: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # Before Redis: a message over its buffer limit makes it drop this node's subscriber.
        fitted = _fit(self.live, event, data, kwargs)
        if fitted is None:
            return None
        return super().emit(event, fitted, *args, **kwargs)

    def _handle_emit(self, message: dict[str, Any]) -> Any:
        data = message.get("data")
        if isinstance(data, list) and len(data) == 1 and not message.get("binary"):
            at_most = message.get(CARRIED_AT_MOST)
            if not (isinstance(at_most, int) and at_most <= self.live.max_push_bytes):
                at_most = None  # not known to fit: measured (and cut) as it was before
            if message.get("host_id") != self.host_id and at_most is None:
                # Another process's, maybe over the cap: not checked yet.
                fitted = fit(
                    str(message.get("event")),
                    data[0],
                    message.get("room"),
                    self.live.max_push_bytes,
                )
                if fitted is None:
                    return None
                message = {**message, "data": [fitted]}
            if message.get("event") == "leaderboard":
                self.live.cache.published(message["data"][0], at_most)
            if not self._local(message.get("namespace"), message.get("room")):
                return None  # nobody here to send it to: not encoded for nothing
            if at_most is not None and self._forward(message):
                return None
        return super()._handle_emit(message)

    def _forward(self, message: dict[str, Any]) -> bool:
        """Send a board heard from Redis to this node's sockets in its room as the text it came
        as, if it can be (a plain emit to a room, known to fit the cap); else False."""
        came_as = message.get(CAME_AS)
        if not isinstance(came_as, tuple) or message.get("callback") or message.get("skip_sid"):
            return False
        args = board_text(*came_as)
        if args is None:
            return False
        namespace = message.get("namespace") or "/"
        # A Socket.IO EVENT packet as python-socketio writes it: type, namespace, arguments.
        text = "2" + ("" if namespace == "/" else namespace + ",") + '["leaderboard",' + args
        packet = eio_packet.Packet(eio_packet.MESSAGE, text)
        for _sid, eio_sid in self.get_participants(namespace, message.get("room")):
            self.server._send_eio_packet(eio_sid, packet)
        return True


def board_text(raw: bytes, at: int) -> str | None:
    """The text of a ``leaderboard`` emit's arguments after the opening bracket (``{…}]``),
    sliced from the message up to its envelope at ``at`` (:func:`peek`); None if it is not
    one."""
    if not raw.startswith(LEADERBOARD_HEAD):
        return None
    args = raw[len(LEADERBOARD_HEAD) : at]
    if not (args.startswith(b"[{") and args.endswith(b"}]")):
        return None
    return args[1:].decode()


def _fit(live: LiveState, event: str, data: Any, kwargs: dict[str, Any]) -> Any | None:
    """The message cut to the cap, or None; boards served from the cache were measured."""
    size = live.cache.measured(data)
    if size is not None and size <= live.max_push_bytes:
        return data
    return fit(event, data, kwargs.get("to") or kwargs.get("room"), live.max_push_bytes)

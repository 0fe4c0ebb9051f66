"""The Socket.IO namespace ``/live`` (SPEC §6): who joins which room, catch-up on subscribe.

Under abuse (issue 12): a ``subscribe`` is answered from the boards as last published
(``scoreboard.live_cache``: a lookup, not a query), every socket event passes the limits of
``app.live.limits`` (an error acknowledgement when over, a disconnect when it persists), an
address holds a bounded number of sockets, and nothing over the push cap leaves this process
(the Socket.IO managers of ``app.live.relay`` check every message, whoever emits it); and a
socket is read no faster than its events are handled (``app.live.transport``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import socketio as socketio_lib
from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import SocketIO, disconnect, join_room

from app.extensions import db, socketio
from app.live import transport
from app.live.limits import LiveLimits, Quotas
from app.live.relay import EmbeddedManager, LiveState, ProductionManager
from app.live.viewers import RECHECK_S, Viewer, stale
from app.live.viewers import viewers as _viewers
from app.security import live_token
from config import Settings
from core.models import Event, User
from review import notes
from scoreboard.boards import Board, staff_only
from scoreboard.live_cache import EventView, LiveCache
from scoreboard.publish import NAMESPACE, public_room, staff_room, team_room
from submissions.intake import team_of

EXTENSION = "hackjudge.live"
DROP_GRACE_S = 1.0  # from an abusive socket's disconnect to its connection cut
# A refused handshake is answered this late: a client that reconnects the moment it is refused
# (4 flooding sockets tried 460 times a second) is slowed to a try a second per socket, at the
# cost of a sleeping greenlet; Socket.IO clients back off for longer than this anyway.
REFUSAL_DELAY_S = 1.0
log = logging.getLogger(__name__)


def server_options(app: Flask, settings: Settings) -> dict[str, Any]:
    """Socket.IO server options for ``app``, with the live channel's state behind them."""
    live = LiveState(
        LiveCache(db), LiveLimits(Quotas.of(settings)), max_push_bytes=settings.max_push_bytes
    )
    app.extensions[EXTENSION] = live
    manager: socketio_lib.Manager
    if settings.redis_url:
        manager = ProductionManager(settings.redis_url, settings.socketio_channel, live)
    else:
        manager = EmbeddedManager(live)
    return {
        "client_manager": manager,
        # A socket's events run one after another in the loop that reads it, not each in a
        # task of its own: a flooding socket then fills only its own TCP buffer, and the limits
        # see each event as it comes. With a task per event, 4 raw sockets queued 380,000 in
        # 5 s, past any limit checked inside the handlers (bench/hostile.py).
        "async_handlers": False,
    }


def _live() -> LiveState:
    return current_app.extensions[EXTENSION]


# --- handlers ----------------------------------------------------------------------------------


def _identify(auth: Any) -> Viewer | None:
    """The socket's viewer; None for a wrong token (refused, not silently downgraded)."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token:
        with db.begin() as session:
            row = live_token(session, str(token))
            return None if row is None else Viewer.of(row.user, row)
    if current_user.is_authenticated:
        return Viewer.of(current_user)
    return Viewer(None, False)


def _connection() -> str:
    """The engine.io session of this socket: what the limits count and pace."""
    return socketio.server.manager.eio_sid_from_sid(request.sid, NAMESPACE) or request.sid


def _without_engine_io(connection: str) -> bool:
    # Flask-SocketIO's test client calls python-socketio directly, past engine.io's handlers,
    # so its sockets are admitted and released here instead.
    return connection not in socketio.server.eio.sockets


def _connect(auth: dict[str, Any] | None = None) -> bool:
    limits, connection = _live().limits, _connection()
    # Admitted at the engine.io handshake already (``_gate``); this counts only the others.
    refusal = limits.admit(connection, request.remote_addr or "-")
    if refusal is not None:
        raise socketio_lib.exceptions.ConnectionRefusedError(refusal)
    viewer = None
    try:
        viewer = _identify(auth)
    finally:
        if viewer is None and _without_engine_io(connection):
            limits.release(connection)
    if viewer is None:
        return False
    _viewers[request.sid] = viewer
    if viewer.user_id is not None:
        _start_recheck(_live())
    return True


def _disconnect(*_args: Any) -> None:
    _viewers.pop(request.sid, None)
    connection = _connection()
    if _without_engine_io(connection):
        _live().limits.release(connection)


def _start_recheck(live: LiveState) -> None:
    """Start this process's recheck of signed-in sockets, on the first one (not at import:
    most processes that build the app never hold a socket)."""
    if not live.rechecking:
        live.rechecking = True
        socketio.start_background_task(_recheck, current_app._get_current_object())


def _recheck(app: Flask) -> None:
    """Every ``RECHECK_S``: disconnect the sockets whose credentials no longer hold
    (``app.live.viewers``); they reconnect and are identified afresh."""
    while True:
        socketio.sleep(RECHECK_S)
        try:
            with app.app_context(), db.begin() as session:
                gone = stale(session, dict(_viewers))
        except Exception:
            log.warning("live sockets not rechecked (database away?)", exc_info=True)
            continue
        for sid in gone:
            log.info("live socket %s disconnected: its sign-in no longer holds", sid)
            _viewers.pop(sid, None)
            socketio.server.disconnect(sid, namespace=NAMESPACE)


def _refused() -> dict[str, Any] | None:
    """The acknowledgement of an event over the limits (None when it may be served)."""
    verdict = _live().limits.event(_connection())
    if verdict.allowed:
        return None
    if verdict.drop:
        _drop(request.sid)
    return {
        "ok": False,
        "code": "rate_limited",
        "error": "too many events: slow down",
        "retry_after": math.ceil(max(verdict.retry_after, 0.001) * 1000) / 1000,
    }


def _drop(sid: str) -> None:
    """Disconnect an abusive socket: its namespace, and its connection at once."""
    server = socketio.server
    eio_sid = server.manager.eio_sid_from_sid(sid, NAMESPACE)
    log.warning("live socket %s from %s dropped: too many events", sid, request.remote_addr)
    disconnect()
    websocket = request.environ.get(transport.ENVIRON_KEY)
    if websocket is not None:
        websocket.hold()  # its flood is not even parsed any more
        socketio.start_background_task(_abort_after_grace, websocket)
    elif eio_sid is not None:
        # Long-polling: closing waits for the send queue, which a client that does not read
        # never drains, so not in this handler.
        socketio.start_background_task(server.eio.disconnect, eio_sid)


def _answer(board: dict[str, Any]) -> None:
    """A board for this socket alone, delivered here: it is connected to this node, so the
    answer need not go through Redis to every node (nor wait for Redis to be up)."""
    socketio.server.emit(
        "leaderboard", board, to=request.sid, namespace=NAMESPACE, ignore_queue=True
    )


def _abort_after_grace(websocket: transport.PacedWebSocket) -> None:
    # The refusals and the disconnect already queued reach a client that reads them.
    socketio.sleep(DROP_GRACE_S)
    websocket.abort()


def _since(payload: dict[str, Any], task_slug: str) -> int | None:
    since = payload.get("since")
    if isinstance(since, dict):
        since = since.get(task_slug)
    return since if isinstance(since, int) else None


def _team_of(viewer: Viewer, event: EventView) -> int | None:
    if viewer.user_id is None:
        return None
    if event.id not in viewer.teams:  # once per socket and event, not per subscribe
        with db.begin() as session:
            user = session.get(User, viewer.user_id)
            row = session.get(Event, event.id)
            team = team_of(session, user, row) if user is not None and row is not None else None
            viewer.teams[event.id] = team.id if team is not None else None
    return viewer.teams[event.id]


def _sees_full_boards(viewer: Viewer, event: EventView) -> bool:
    """Staff without a conflict in ``event``: a conflicted judge gets the public boards
    live and reads the staff boards over HTTP, where the conflicted teams' rows are left out
    (a room's push cannot be filtered per socket)."""
    if not viewer.staff or viewer.user_id is None:
        return False
    if event.id not in viewer.full_boards:  # once per socket and event, not per subscribe
        with db.begin() as session:
            user = session.get(User, viewer.user_id)
            row = session.get(Event, event.id)
            viewer.full_boards[event.id] = (
                user is not None
                and row is not None
                and not notes.conflicted_teams(session, user, row)
            )
    return viewer.full_boards[event.id]


def _subscribe(payload: Any) -> dict[str, Any]:
    refused = _refused()
    if refused is not None:
        return refused
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        return {"ok": False, "error": "send {'event': slug, 'since': version?}"}
    live = _live()
    event = live.cache.event(payload["event"])
    if event is None:
        return {"ok": False, "error": "no such event"}
    viewer = _viewers.setdefault(request.sid, Viewer(None, False))
    join_room(public_room(event.slug))
    staff = _sees_full_boards(viewer, event)
    if staff:
        join_room(staff_room(event.slug))
    elif (team_id := _team_of(viewer, event)) is not None:
        join_room(team_room(team_id))
    sent = []

    def send(task: str | None, board: str, payload_: dict[str, Any], since: int | None) -> None:
        key, version = (event.slug, task, board), payload_["version"]
        if (since is not None and since >= version) or viewer.sent.get(key, -1) >= version:
            return  # the client is current: nothing to send
        _answer(payload_)
        viewer.sent[key] = version
        sent.append({"task": task, "board": board, "version": version})

    for task in event.tasks:
        for board in Board:
            if not staff and staff_only(task, board):
                continue
            try:
                published = live.cache.board(event, task, board)
            except LookupError:  # deleted since the catalogue was read
                return {"ok": False, "error": "no such event"}
            if published.size > live.max_push_bytes:
                continue  # refused (and logged) when it was published; read it over HTTP
            send(task.slug, str(board), published.payload, _since(payload, task.slug))
    if event.final is not None:
        send(None, "final", event.final, _since(payload, "final"))
    # The acknowledgement lists what was sent, so a client knows when it has caught up.
    boards = [str(b) for b in Board if staff or b is Board.PUBLIC]
    return {"ok": True, "boards": boards, "sent": sent}


def _other(event: str, *_args: Any) -> dict[str, Any]:
    """Any other event: it counts against the limits like a subscribe."""
    return _refused() or {"ok": False, "error": f"unknown event {event[:40]!r}"}


def _limits_of(environ: dict[str, Any] | None) -> LiveLimits | None:
    app = (environ or {}).get("flask.app")
    live = app.extensions.get(EXTENSION) if app is not None else None
    return live.limits if live is not None else None


def _gate(
    handshake: Callable[[str, dict[str, Any]], Any], goodbye: Callable[..., Any]
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """engine.io's connect and disconnect handlers, counting every connection of an address,
    whether it joins ``/live`` or not. One over the limits is refused (HTTP 401, after
    ``REFUSAL_DELAY_S``) before any websocket is set up: a flooder that reconnects at once,
    again and again, costs a short, late HTTP answer, not a handshake and a refusal."""

    def connect(eio_sid: str, environ: dict[str, Any]) -> Any:
        limits = _limits_of(environ)
        if limits is not None and limits.admit(eio_sid, environ.get("REMOTE_ADDR") or "-"):
            socketio.sleep(REFUSAL_DELAY_S)
            return False
        return handshake(eio_sid, environ)

    def disconnect(eio_sid: str, *args: Any) -> Any:
        limits = _limits_of(socketio.server.environ.get(eio_sid))
        try:
            return goodbye(eio_sid, *args)
        finally:
            if limits is not None:
                limits.release(eio_sid)

    return connect, disconnect


def register(socketio: SocketIO) -> None:
    eio = socketio.server.eio
    transport.install(eio, socketio.sleep)
    connect, disconnect = _gate(eio.handlers["connect"], eio.handlers["disconnect"])
    eio.on("connect", connect)
    eio.on("disconnect", disconnect)
    socketio.on_event("connect", _connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", _disconnect, namespace=NAMESPACE)
    socketio.on_event("subscribe", _subscribe, namespace=NAMESPACE)
    socketio.on_event("*", _other, namespace=NAMESPACE)

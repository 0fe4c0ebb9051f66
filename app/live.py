"""The Socket.IO namespace ``/live`` (SPEC §6): who joins which room, catch-up on subscribe."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import SocketIO, emit, join_room
from sqlalchemy import select

from app.extensions import db
from app.models import Event, User
from app.security import user_for_token
from scoreboard.boards import Board, current_board, staff_only
from scoreboard.publish import NAMESPACE, public_room, staff_room, team_room
from submissions.intake import team_of

# sid -> user id (None for anonymous); kept per process, like the connections themselves.
_viewers: dict[str, int | None] = {}


def _connect(auth: dict[str, Any] | None = None) -> bool:
    user_id: int | None = None
    token = (auth or {}).get("token") if isinstance(auth, dict) else None
    if token:
        with db.begin() as session:
            user = user_for_token(session, str(token))
            if user is None:
                return False  # a wrong token is refused, not silently downgraded
            user_id = user.id
    elif current_user.is_authenticated:
        user_id = current_user.id
    _viewers[request.sid] = user_id
    return True


def _disconnect(*_args: Any) -> None:
    _viewers.pop(request.sid, None)


def _since(payload: dict[str, Any], task_slug: str) -> int | None:
    since = payload.get("since")
    if isinstance(since, dict):
        since = since.get(task_slug)
    return since if isinstance(since, int) else None


def _subscribe(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        return {"ok": False, "error": "send {'event': slug, 'since': version?}"}
    with db.begin() as session:
        event = session.scalars(select(Event).where(Event.slug == payload["event"])).first()
        if event is None:
            return {"ok": False, "error": "no such event"}
        user_id = _viewers.get(request.sid)
        user = session.get(User, user_id) if user_id else None
        staff = user is not None and user.is_staff
        join_room(public_room(event.slug))
        if staff:
            join_room(staff_room(event.slug))
        elif user is not None:
            team = team_of(session, user, event)
            if team is not None:
                join_room(team_room(team.id))
        sent = []
        for task in event.tasks:
            for board in Board:
                if not staff and staff_only(task, board):
                    continue
                data = current_board(session, event, task, board)
                since = _since(payload, task.slug)
                if since is None or since < data["version"]:
                    emit("leaderboard", data)
                    sent.append(
                        {"task": task.slug, "board": str(board), "version": data["version"]}
                    )
        # The acknowledgement lists what was sent, so a client knows when it has caught up.
        if event.final_board and _since(payload, "final") is None:
            from app.results import published

            final = published(event)
            emit("leaderboard", final)
            sent.append({"task": None, "board": "final", "version": final["version"]})
    boards = [str(b) for b in Board if staff or b is Board.PUBLIC]
    return {"ok": True, "boards": boards, "sent": sent}


def register(socketio: SocketIO) -> None:
    socketio.on_event("connect", _connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", _disconnect, namespace=NAMESPACE)
    socketio.on_event("subscribe", _subscribe, namespace=NAMESPACE)

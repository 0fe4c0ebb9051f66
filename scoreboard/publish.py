"""Live publishing over Socket.IO (SPEC §6): rooms, and what is pushed to whom."""

from __future__ import annotations

from typing import Any, Protocol

from app.db import Database
from app.models import Event, Submission, Task
from scoreboard.boards import Board, refresh_board

NAMESPACE = "/live"


class Emitter(Protocol):
    def emit(self, event: str, data: Any, *, namespace: str, to: str) -> Any: ...


def public_room(event_slug: str) -> str:
    return f"public:{event_slug}"


def staff_room(event_slug: str) -> str:
    return f"staff:{event_slug}"


def team_room(team_id: int) -> str:
    return f"team:{team_id}"


ROOM_OF_BOARD = {Board.PUBLIC: public_room, Board.STAFF: staff_room}


def submission_message(sub: Submission, task: Task) -> dict[str, Any]:
    """What the submitting team sees of a submission: public score only, never private."""
    return {
        "id": sub.id,
        "task": task.slug,
        "status": sub.status,
        "public_score": sub.public_score,
        "error": sub.error,
    }


class Publisher:
    """Pushes board and submission changes through any Socket.IO emitter."""

    def __init__(self, emitter: Emitter, db: Database) -> None:
        self.emitter = emitter
        self.db = db

    def submission(self, sub: Submission, task: Task) -> None:
        self.emitter.emit(
            "submission",
            submission_message(sub, task),
            namespace=NAMESPACE,
            to=team_room(sub.team_id),
        )

    def task_changed(self, task_id: int) -> None:
        """Refresh the live boards of a task and push those whose content changed."""
        pushes = []
        with self.db.begin() as session:
            task = session.get(Task, task_id)
            if task is None:
                return
            event = session.get(Event, task.event_id)
            assert event is not None
            for board, room_of in ROOM_OF_BOARD.items():
                data, changed = refresh_board(session, event, task, board)
                if changed:
                    pushes.append((data, room_of(event.slug)))
        # Emit after commit, so a client that asks again sees at least this version.
        for data, room in pushes:
            self.emitter.emit("leaderboard", data, namespace=NAMESPACE, to=room)


class NoEmitter:
    """For processes with nobody to tell (an embedded-mode CLI): boards refresh on next view."""

    def emit(self, event: str, data: Any, *, namespace: str, to: str) -> None:
        return None

"""Live publishing over Socket.IO (SPEC §6): rooms, and what is pushed to whom."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from redis.client import Pipeline
from redis.exceptions import RedisError

from config import PUSH_INTERVAL_MS
from config import max_push_bytes as max_push_bytes_setting
from core.db import Database
from core.locales import in_every_locale
from core.models import Event, Submission, Task, team_names
from scoreboard.boards import Board, refresh_task, staff_only
from scoreboard.slots import SharedSlots

NAMESPACE = "/live"
# Least time between two pushes of a task's boards unless a setting says otherwise (the default
# and why: ``config.PUSH_INTERVAL_MS``).
MIN_INTERVAL_S = PUSH_INTERVAL_MS / 1000
# An upload's attempt count waits this long for a score's push to show it (its file's score
# usually lands within a fraction of a second) before the web node's clock refreshes the boards
# for it: in a rush the scores' pushes show every upload, and the web node, which used to
# refresh about once a second beside them, keeps its CPU for the uploads (issue 14).
SETTLE_AFTER_S = 1.0
# Longest a text may stay when a message must shrink; past the last, it is not sent at all.
# Team names (<= 200 characters) survive every step, so a board is never sent half-named.
TEXT_LIMITS = (4096, 1024, 256)
ELLIPSIS = "…"
log = logging.getLogger(__name__)


class Emitter(Protocol):
    def emit(self, event: str, data: Any, *, namespace: str, to: str) -> Any: ...


def wire_size(data: Any) -> int:
    """Bytes of ``data`` as JSON, escapes included: at least what Socket.IO and Redis carry."""
    return len(json.dumps(data, default=str))


def _cut(value: Any, limit: int) -> Any:
    """``value`` with every text longer than ``limit`` characters cut, marked with an ellipsis."""
    if isinstance(value, str):
        return value[:limit] + ELLIPSIS if len(value) > limit else value
    if isinstance(value, dict):
        return {key: _cut(item, limit) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_cut(item, limit) for item in value]
    return value


def bounded(data: Any, max_bytes: int) -> Any | None:
    """``data`` if it fits in ``max_bytes``, else with its long texts cut to fit, else None.

    A message is cut, never split: a submission's error text shrinks (its id, status and score
    stay whole); a board too large even with short texts is not sent (clients read it over
    HTTP), since dropping rows would show a wrong ranking.
    """
    if wire_size(data) <= max_bytes:
        return data
    for limit in TEXT_LIMITS:
        shrunk = _cut(data, limit)
        if wire_size(shrunk) <= max_bytes:
            return shrunk
    return None


def fit(event: str, data: Any, to: str | None, max_bytes: int) -> Any | None:
    """``bounded``, logging what was cut or refused: what operators see of the cap."""
    fitted = bounded(data, max_bytes)
    if fitted is None:
        log.error(
            "%s to %s is %d bytes, over the live message cap of %d bytes: not sent",
            event,
            to,
            wire_size(data),
            max_bytes,
        )
    elif fitted is not data:
        log.warning("%s to %s: long texts cut to fit the live message cap", event, to)
    return fitted


class BoundedEmitter:
    """Every live message of a publisher passes here: none over the cap ever leaves.

    One over the cap on Redis makes it drop the web node's subscriber (every push then lost),
    and one sent to thousands of viewers multiplies: a message is cut to fit or not sent.
    """

    def __init__(self, inner: Emitter, max_bytes: int) -> None:
        self.inner = inner
        self.max_bytes = max_bytes

    def emit(self, event: str, data: Any, *, namespace: str, to: str) -> Any:
        fitted = fit(event, data, to, self.max_bytes)
        if fitted is None:
            return None
        return self.inner.emit(event, fitted, namespace=namespace, to=to)


def public_room(event_slug: str) -> str:
    return f"public:{event_slug}"


def staff_room(event_slug: str) -> str:
    return f"staff:{event_slug}"


def team_room(team_id: int) -> str:
    return f"team:{team_id}"


def boards_of_room(room: str) -> tuple[str, tuple[Board, ...]]:
    """The event of a board room and the boards whose pushes may go to it (``room_of``: the
    private board goes to staff until its reveal, then to everyone); any board for another."""
    audience, _sep, event_slug = room.partition(":")
    if audience == "public":
        return event_slug, (Board.PUBLIC, Board.PRIVATE)
    if audience == "staff":
        return event_slug, (Board.STAFF, Board.PRIVATE)
    return event_slug, tuple(Board)


def room_of(board: Board, event: Event, task: Task) -> str:
    """Where a board's pushes go: the private board reaches everyone once revealed."""
    if staff_only(task, board):
        return staff_room(event.slug)
    return public_room(event.slug)


def submission_message(sub: Submission, task: Task) -> dict[str, Any]:
    """What the submitting team sees of a submission: public score only, never private.

    One push reaches every member, whatever language each reads: ``error`` is English and
    ``errors`` holds the message in every supported language. The submission is named as
    its team names it (``app.serialize.team_names``), never by its global id.
    """
    return {
        **team_names(sub),
        "task": task.slug,
        "status": sub.status,
        "public_score": sub.public_score,
        "error": sub.error,
        "errors": in_every_locale(sub.error_detail, sub.error) if sub.error else {},
    }


class Publisher:
    """Pushes board and submission changes through any Socket.IO emitter.

    Board pushes are coalesced per task: the first change after a quiet spell goes out at
    once; changes within ``min_interval`` of a push wait for one trailing refresh, which reads
    the latest state. A burst of hundreds of scores a minute thus makes at most a few pushes a
    second per task and process, always ending on the latest board.
    """

    def __init__(
        self,
        emitter: Emitter,
        db: Database,
        min_interval: float = MIN_INTERVAL_S,
        max_push_bytes: int | None = None,
        shared: SharedSlots | None = None,
    ) -> None:
        self.emitter = BoundedEmitter(emitter, max_push_bytes or max_push_bytes_setting())
        self.db = db
        self.min_interval = min_interval
        # With Redis: the interval holds across the deployment (``scoreboard.slots``), not
        # per process; without (embedded mode, or Redis away) each process keeps its own.
        self.shared = shared
        self._lock = threading.Lock()
        self._last: dict[int, float] = {}
        self._trailing: set[int] = set()  # tasks with a refresh scheduled in this process
        self._pending = 0  # timers not yet run
        # SQLite ignores FOR UPDATE: within a process, refreshes take turns (PostgreSQL's row
        # locks in refresh_boards order those of different processes).
        self._refreshing = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def submission(self, sub: Submission, task: Task) -> None:
        self.emitter.emit(
            "submission",
            submission_message(sub, task),
            namespace=NAMESPACE,
            to=team_room(sub.team_id),
        )

    def task_changed(self, task_id: int, *, inline: bool = True) -> None:
        """A task's boards may have changed: push now, or once at the end of the interval.

        ``inline=False`` never refreshes in the caller's thread (an upload's request answers
        without waiting for the boards): the refresh is scheduled, at once or at the interval.
        """
        if self.shared is not None:
            try:
                wait = self.shared.change(task_id)
            except RedisError as exc:
                log.warning("board slots unreachable (%s): this process coalesces alone", exc)
            else:
                if wait == 0 and inline:
                    self.refresh(task_id)
                elif wait == 0:
                    with self._lock:
                        self._later(0.0, self.refresh, task_id)
                else:
                    self._wait_for_slot(task_id, wait)
                return
        with self._lock:
            if task_id in self._trailing:
                return  # the scheduled refresh will read this change too
            wait = self._last.get(task_id, -math.inf) + self.min_interval - time.monotonic()
            if wait > 0 or not inline:
                self._trailing.add(task_id)
                self._later(max(0.0, wait), self._trailing_refresh, task_id)
                return
            claim = self._claim(task_id)
        self._refresh_claimed(task_id, claim)

    def noted(self, task_id: int) -> None:
        """A change that may wait for the next refresh (an upload's attempt count): with the
        shared slots only marked, and shown by the next score's push or, failing one, by the
        web node's clock within two seconds (``settle``); alone, refreshed beside the caller."""
        if self.shared is not None:
            try:
                self.shared.mark(task_id)
                return
            except RedisError as exc:
                log.warning("board slots unreachable (%s): this process coalesces alone", exc)
        self.task_changed(task_id, inline=False)

    def note_in(self, task_id: int, pipeline: Pipeline) -> bool:
        """:meth:`noted` as part of the caller's Redis ``pipeline``, if the slots are shared
        (False: not, and nothing queued). Should the pipeline fail, call :meth:`noted`."""
        if self.shared is None:
            return False
        self.shared.mark(task_id, pipeline)
        return True

    def settle(self, task_id: int) -> None:
        """Refresh the task's boards if a change marked ``SETTLE_AFTER_S`` ago or more awaits
        and nobody holds the slot (the web node's clock, each tick)."""
        if self.shared is None:
            return
        try:
            wait = self.shared.again(task_id, older_than_s=SETTLE_AFTER_S)
        except RedisError:
            return
        if wait == 0:
            self.refresh(task_id)

    def _later(self, delay: float, work: Callable[[int], Any], task_id: int) -> None:
        """``work(task_id)`` in a timer thread after ``delay``; ``wait_idle`` waits for it.
        Called with ``_lock`` held, so the timer is counted before the lock is let go."""

        def run() -> None:
            try:
                work(task_id)
            except Exception:
                log.exception("board refresh of task %s failed", task_id)
            finally:
                with self._lock:
                    self._pending -= 1
                    if not self._pending:
                        self._idle.set()

        self._pending += 1
        self._idle.clear()
        # Not a daemon: a burst worker exiting still sends the last state.
        threading.Timer(delay, run).start()

    def _wait_for_slot(self, task_id: int, wait: float) -> None:
        """Another process holds the task's slot: look again when it frees (once per task)."""
        with self._lock:
            if task_id in self._trailing:
                return
            self._trailing.add(task_id)
            self._later(wait, self._slot_freed, task_id)

    def _slot_freed(self, task_id: int) -> None:
        with self._lock:
            self._trailing.discard(task_id)
        assert self.shared is not None
        try:
            wait = self.shared.again(task_id)
        except RedisError:
            wait = 0.0  # refresh here rather than leave the change unseen
        if wait == 0:
            self.refresh(task_id)
        elif wait is not None:
            self._wait_for_slot(task_id, wait)

    def _claim(self, task_id: int) -> tuple[float, float | None]:
        """Take the task's push slot now (under the lock): concurrent changes wait for it."""
        now = time.monotonic()
        previous = self._last.get(task_id)
        self._last[task_id] = now
        return now, previous

    def _refresh_claimed(self, task_id: int, claim: tuple[float, float | None]) -> None:
        pushed = False
        try:
            pushed = self.refresh(task_id)
        finally:
            if not pushed:  # nothing went out: the slot was not used
                with self._lock:
                    if self._last.get(task_id) == claim[0]:
                        if claim[1] is None:
                            self._last.pop(task_id, None)
                        else:
                            self._last[task_id] = claim[1]

    def _trailing_refresh(self, task_id: int) -> None:
        with self._lock:
            claim = self._claim(task_id)
            self._trailing.discard(task_id)
        self._refresh_claimed(task_id, claim)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no scheduled refresh is pending (tests, orderly shutdown)."""
        return self._idle.wait(timeout)

    def refresh(self, task_id: int) -> bool:
        """Refresh the live boards of a task, push those whose content changed; any pushed?"""
        if isinstance(self.emitter.inner, NoEmitter):
            # Nobody to tell here: leave the versions for the web server, which pushes the
            # change when its clock or its next refresh sees it.
            return False
        pushes = []
        with self._refreshing, self.db.begin() as session:
            found = refresh_task(session, task_id)
            if found is None:
                return False
            event, task, refreshed = found
            for board, data, changed in refreshed:
                if changed:
                    pushes.append((data, room_of(board, event, task)))
        # Emit after commit, so a client that asks again sees at least this version.
        for data, room in pushes:
            self.emitter.emit("leaderboard", data, namespace=NAMESPACE, to=room)
        return bool(pushes)

    def rescore_progress(self, event_slug: str, data: dict[str, Any]) -> None:
        """A rescoring run's progress, to staff."""
        self.emitter.emit("rescore", data, namespace=NAMESPACE, to=staff_room(event_slug))

    def reveal(self, event_slug: str, data: dict[str, Any]) -> None:
        """A step of the reveal, to every viewer of the event (projectors animate it)."""
        self.emitter.emit("reveal", data, namespace=NAMESPACE, to=public_room(event_slug))

    def final(self, event_slug: str, board: dict[str, Any]) -> None:
        """The published final ranking, to every viewer of the event."""
        self.emitter.emit("leaderboard", board, namespace=NAMESPACE, to=public_room(event_slug))

    def announcement(self, event_slug: str, data: dict[str, Any]) -> None:
        self.emitter.emit("announcement", data, namespace=NAMESPACE, to=public_room(event_slug))


class NoEmitter:
    """For processes with nobody to tell (an embedded-mode CLI): boards refresh on next view."""

    def emit(self, event: str, data: Any, *, namespace: str, to: str) -> None:
        return None

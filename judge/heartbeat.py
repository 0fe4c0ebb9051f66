"""Worker liveness in Redis: a key per worker process that lapses seconds after it dies, and
says which submission the worker holds right now.

RQ only notices a SIGKILLed worker once the job timeout has passed; this lets the
reconciler give a lost submission to another worker within seconds. What the key holds lets
it also find a row left ``scoring`` by a worker that is alive but no longer on it (the job
ended while the database was away, and so did its failure callback: issue 12).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

BEAT_SECONDS = 2.0
TTL_SECONDS = 8
PREFIX = "hackjudge:worker:"
IDLE = "idle"
SUBMISSION = "submission:"


def key(worker_name: str) -> str:
    return f"{PREFIX}{worker_name}"


def holding_value(submission_id: int | None) -> str:
    """What the key says: ``idle``, or ``submission:<id>`` while that one is being scored."""
    return IDLE if submission_id is None else f"{SUBMISSION}{submission_id}"


@dataclass(frozen=True)
class Holding:
    """What a live worker said it holds; ``known`` is False for a value this code cannot read
    (a worker of an older release), whose rows are then judged by their age alone."""

    known: bool
    submission_id: int | None = None


def parse(value: bytes | str | None) -> Holding:
    text = value.decode() if isinstance(value, bytes) else (value or "")
    if text == IDLE:
        return Holding(known=True)
    if text.startswith(SUBMISSION) and text[len(SUBMISSION) :].isdigit():
        return Holding(known=True, submission_id=int(text[len(SUBMISSION) :]))
    return Holding(known=False)


class Heartbeat:
    """Beats from a daemon thread until stopped (or the process dies).

    The heartbeat has a Redis client of its own: short timeouts and one immediate retry (for
    a connection gone stale across a Redis restart), so an unresponsive Redis fails a beat
    within seconds, the next beat trying again, instead of blocking; and none of its
    connections lands in the pool of the RQ worker, whose blocking dequeue needs long reads.
    Beats go on through a Redis outage: the first one after it restores the key.
    """

    def __init__(self, redis_url: str, worker_name: str) -> None:
        self.redis = Redis.from_url(
            redis_url,
            socket_timeout=BEAT_SECONDS,
            socket_connect_timeout=BEAT_SECONDS,
            retry=Retry(NoBackoff(), 1),
        )
        self.worker_name = worker_name
        self._holding: int | None = None
        # One beat at a time, so the last value written is the latest: a beat read before a
        # hold() must not land after it and say the old value for a whole interval.
        self._writing = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._beat()  # alive from the first moment, not one interval later
        self._thread.start()
        return self

    def hold(self, submission_id: int | None) -> None:
        """The worker takes up ``submission_id`` (None: puts it down); said at once, before
        the job can mark the row ``scoring``, so the reconciler never sees the row unheld."""
        self._holding = submission_id
        self._beat()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(BEAT_SECONDS * 2)
        with contextlib.suppress(Exception):
            self.redis.delete(key(self.worker_name))
        self.redis.close()

    def _beat(self) -> None:
        # Redis away: the next beat tries again (never raise into the job or the loop).
        with self._writing, contextlib.suppress(Exception):
            self.redis.set(key(self.worker_name), holding_value(self._holding), ex=TTL_SECONDS)

    def _run(self) -> None:
        while not self._stop.wait(BEAT_SECONDS):
            self._beat()


def alive(redis: Redis, worker_name: str) -> bool:
    return bool(worker_name) and bool(redis.exists(key(worker_name)))


def holdings(redis: Redis) -> dict[str, Holding]:
    """Every live worker and what it holds."""
    keys = list(redis.scan_iter(f"{PREFIX}*", count=1000))
    if not keys:
        return {}
    values = redis.mget(keys)
    return {
        k.decode()[len(PREFIX) :]: parse(v)
        for k, v in zip(keys, values, strict=True)
        if v is not None  # lapsed between the scan and the read
    }

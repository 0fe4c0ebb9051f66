"""Worker liveness in Redis: a key per worker process that lapses seconds after it dies.

RQ only notices a SIGKILLed worker once the job timeout has passed; this lets the
reconciler give a lost submission to another worker within seconds.
"""

from __future__ import annotations

import contextlib
import threading

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

BEAT_SECONDS = 2.0
TTL_SECONDS = 8


def key(worker_name: str) -> str:
    return f"hackjudge:worker:{worker_name}"


def start(redis_url: str, worker_name: str) -> threading.Event:
    """Beat from a daemon thread until the returned event is set (or the process dies).

    The thread has a Redis client of its own: short timeouts and one immediate retry (for a
    connection gone stale across a Redis restart), so an unresponsive Redis fails a beat within
    seconds, the next beat trying again, instead of blocking the thread; and none of its
    connections lands in the pool of the RQ worker, whose blocking dequeue needs long reads.
    """
    redis = Redis.from_url(
        redis_url,
        socket_timeout=BEAT_SECONDS,
        socket_connect_timeout=BEAT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            # Redis restarting: keep trying, the next beat restores the key.
            with contextlib.suppress(Exception):
                redis.set(key(worker_name), "1", ex=TTL_SECONDS)
            stop.wait(BEAT_SECONDS)
        with contextlib.suppress(Exception):
            redis.delete(key(worker_name))
        redis.close()

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    return stop


def alive(redis: Redis, worker_name: str) -> bool:
    return bool(worker_name) and bool(redis.exists(key(worker_name)))

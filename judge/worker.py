"""The ``hackjudge worker`` loop: RQ's own, living through Redis outages (issue 12).

RQ's ``Worker.work`` survives Redis errors only while it waits for a job; one raised by the
bookkeeping around a job (its status, its registries, the worker's state) ends the loop, and
``work`` then raises from its own teardown. Two workers busy when Redis died both exited, and
accepted submissions waited for a human. Here a worker that ends for any reason other than a
stop request is dismantled, the process waits (with backoff) until Redis answers, and a new
worker registers and goes on. The database is the source of truth: the job in flight either
finished its row (scored, invalid) or left it for the reconciler (``judge.reconciler``), which
also re-dispatches the jobs Redis forgot.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.exceptions import DequeueTimeout
from rq.job import Job
from rq.queue import Queue

from judge.heartbeat import Heartbeat
from judge.runner import CODE_JOB_PATH, JOB_PATH

log = logging.getLogger(__name__)
FIRST_WAIT_S = 0.5
MAX_WAIT_S = 5.0
# A worker that ran this long before ending had recovered: the next wait starts short again.
STEADY_S = 60.0
# How long without a scoring job before a worker turns to the bootstrap intervals.
QUIET_S = 2.0


def submission_of(job: Job) -> int | None:
    """The submission a scoring (or code) job is for; None for other jobs (a rescore run)."""
    try:
        return int(job.args[0]) if job.func_name in (JOB_PATH, CODE_JOB_PATH) else None
    except Exception:  # a job this code cannot read is not ours to name
        return None


class JudgeWorker(SimpleWorker):
    """RQ's in-process worker, telling its heartbeat which submission it holds.

    RQ's own wait for Redis inside the dequeue loop backs off up to 60 s; after an outage of
    seconds that is a minute of idle workers, so it is capped lower here.
    """

    max_connection_wait_time = MAX_WAIT_S
    beat: Heartbeat | None = None
    # The scoring queue alone. Given, the worker serves its other queues (the bootstrap
    # intervals) only in a quiet spell: once no scoring job has come for ``QUIET_S``. In a
    # deadline rush the intervals (most of a file's CPU) wait until it is over, and the
    # scores, the web node and the database keep the cores (issue 14).
    scores_only: list[Queue] | None = None
    # Where every worker notes when it last took a scoring job (a Redis key): the quiet spell
    # is the deployment's, so with 4 workers sharing a rush none takes it for a lull of its own.
    quiet_key: str | None = None
    _last_score_at = -math.inf  # wall-clock seconds: compared across processes

    def _quiet_left(self) -> float:
        last = self._last_score_at
        if self.quiet_key is not None:
            with contextlib.suppress(RedisError, ValueError, TypeError):
                last = max(last, float(self.connection.get(self.quiet_key) or "-inf"))
        return QUIET_S - (time.time() - last)

    def _took_a_score(self) -> None:
        self._last_score_at = time.time()
        if self.quiet_key is not None:
            with contextlib.suppress(RedisError):
                self.connection.set(self.quiet_key, repr(self._last_score_at), ex=3600)

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        left = self._quiet_left()
        result = None
        if self.scores_only and left > 0:
            try:
                result = self.queue_class.dequeue_any(
                    self.scores_only,
                    None if timeout is None else max(1, math.ceil(left)),
                    connection=self.connection,
                    job_class=self.job_class,
                    serializer=self.serializer,
                    death_penalty_class=self.death_penalty_class,
                )
            except DequeueTimeout:
                result = None
        if result is None:
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        if result is not None and self.scores_only and result[1].name == self.scores_only[0].name:
            self._took_a_score()
        return result

    def execute_job(self, job: Job, queue: Queue) -> None:
        if self.beat is not None:
            self.beat.hold(submission_of(job))
        try:
            super().execute_job(job, queue)
        finally:
            if self.beat is not None:
                self.beat.hold(None)


class StopSignals:
    """SIGTERM/SIGINT between two workers' loops (RQ's handlers belong to a worker that is
    gone): noted, so the wait for Redis ends and the process exits."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._note)
        signal.signal(signal.SIGINT, self._note)

    def _note(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True


def dismantle(worker: SimpleWorker) -> None:
    """What RQ's teardown may have left running when Redis failed under it."""
    if worker.scheduler is not None:
        with contextlib.suppress(Exception):
            worker.stop_scheduler()
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None:
        with contextlib.suppress(Exception):
            thread.stop()
            thread.join(timeout=1)
    pubsub = getattr(worker, "pubsub", None)
    if pubsub is not None:
        with contextlib.suppress(Exception):
            pubsub.close()


def pause(seconds: float, signals: StopSignals) -> bool:
    """Sleep ``seconds`` unless a stop is asked; whether to go on."""
    deadline = time.monotonic() + seconds
    while not signals.requested and time.monotonic() < deadline:
        time.sleep(min(0.1, seconds))
    return not signals.requested


def wait_for_redis(redis: Redis, signals: StopSignals) -> bool:
    """Ping with exponential backoff until Redis answers (True) or a stop is asked (False)."""
    wait = FIRST_WAIT_S
    while not signals.requested:
        try:
            if redis.ping():
                return True
        except (RedisConnectionError, RedisTimeoutError) as exc:
            log.warning("Redis unreachable (%s); trying again in %.1f s", exc, wait)
        pause(wait, signals)
        wait = min(wait * 2, MAX_WAIT_S)
    return False


def work_through_outages(
    make_worker: Callable[[], SimpleWorker], redis: Redis, *, burst: bool, **work: Any
) -> None:
    """Run ``make_worker()``'s loop, and a new worker's after any end but a requested stop."""
    signals = StopSignals()
    wait = FIRST_WAIT_S
    while not signals.requested:  # a stop noted before this worker set RQ's handlers
        started = time.monotonic()
        worker: SimpleWorker | None = None
        lost_redis = False
        try:
            worker = make_worker()  # registering its name already talks to Redis
            worker.work(burst=burst, **work)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            lost_redis = True
            log.warning("the RQ worker lost Redis: %s", exc)
        finally:
            if worker is not None:
                dismantle(worker)
        if worker is not None and worker._shutdown_requested_date is not None:
            return  # SIGTERM or SIGINT: RQ finished the job in hand first
        if burst and not lost_redis:
            return  # the queue is empty
        if not lost_redis:
            log.error("the RQ worker loop ended (on an error RQ logged); starting a new one")
        if time.monotonic() - started > STEADY_S:
            wait = FIRST_WAIT_S
        signals.install()
        # A pause even when Redis answers: a failure that repeats must not spin the loop.
        if not pause(wait, signals) or not wait_for_redis(redis, signals):
            return
        wait = min(wait * 2, MAX_WAIT_S)

"""Wiring the scoring pipeline into the web process for either mode (SPEC §10)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

from app.extensions import db, socketio
from config import Settings
from judge.jobs import JudgeContext, set_context
from judge.reconciler import one_pass_at_a_time, reconcile
from judge.runner import Dispatcher, RQDispatcher, ThreadDispatcher
from scoreboard.clock import BoardClock
from scoreboard.publish import Publisher
from scoreboard.slots import SharedSlots
from submissions.sweep import sweep_orphans

log = logging.getLogger(__name__)
CLOCK_SECONDS = 1.0
# One node of a deployment ticks the board clock (issue 14: each tick is a read and a Redis
# script per open task, ~2 ms of a node's CPU a second at rest); should it go away, another
# takes over once its lease has run out.
CLOCK_LEASE_SECONDS = 3.0
# The orphan sweep lists the whole storage: every tenth reconciler pass (5 min by default).
SWEEP_EVERY_PASSES = 10
# A job may outlive its timeout by RQ's own margin before the row is judged by age alone.
STALE_MARGIN = timedelta(seconds=60)
# The web node's Redis calls (enqueue, dashboard) fail fast when Redis is away or hung, so a
# request answers (202, the reconciler dispatches later; or 503) instead of hanging.
REDIS_TIMEOUT_S = 2.0


@dataclass
class Runtime:
    settings: Settings
    dispatcher: Dispatcher
    publisher: Publisher
    redis: Redis | None


def runtime() -> Runtime:
    """The pipeline of the current app."""
    return current_app.extensions["hackjudge"]


def board_slots(redis: Redis, settings: Settings) -> SharedSlots:
    """The deployment's board refresh slots, shared by its web nodes and workers."""
    return SharedSlots(
        redis, f"hackjudge:{settings.socketio_channel}", settings.push_interval_ms / 1000
    )


def init_runtime(app: Flask, settings: Settings, *, start_background: bool) -> Runtime:
    publisher = Publisher(socketio, db, min_interval=settings.push_interval_ms / 1000)
    redis: Redis | None = None
    dispatcher: Dispatcher
    if settings.redis_url:
        redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=REDIS_TIMEOUT_S,
            socket_connect_timeout=REDIS_TIMEOUT_S,
        )
        dispatcher = RQDispatcher(redis, settings.queue_name, settings.job_timeout)
        publisher.shared = board_slots(redis, settings)
    else:
        # Embedded: this process scores, so it is also the judge's context.
        dispatcher = ThreadDispatcher(settings.embedded_threads)
        set_context(JudgeContext(db=db, storage_dir=settings.storage_dir, publisher=publisher))
    rt = Runtime(settings=settings, dispatcher=dispatcher, publisher=publisher, redis=redis)
    app.extensions["hackjudge"] = rt
    if start_background:
        socketio.start_background_task(_reconcile_forever, rt)
        lease = None if redis is None else clock_lease(redis, settings)
        socketio.start_background_task(_tick_forever, BoardClock(db, publisher), lease)
    return rt


def clock_lease(redis: Redis, settings: Settings) -> Lock:
    """The lease of the deployment's board clock, which one web node holds at a time."""
    return redis.lock(
        f"hackjudge:{settings.socketio_channel}:clock",
        timeout=CLOCK_LEASE_SECONDS,
        thread_local=False,  # one greenlet holds it, and renews it
    )


def holds_clock(lease: Lock) -> bool:
    """Does this node tick the clock now: it holds the lease (renewed), or has just taken it?
    Redis away: every node ticks, as each did alone before; the boards are theirs anyway."""
    try:
        try:
            lease.reacquire()  # no round trip unless this node held it
            return True
        except LockError:
            return lease.acquire(blocking=False)
    except RedisError:
        return True


def _tick_forever(clock: BoardClock, lease: Lock | None) -> None:
    while True:
        try:
            if lease is None or holds_clock(lease):
                clock.tick()
        except Exception:
            log.exception("board clock tick failed")
        socketio.sleep(CLOCK_SECONDS)


def _reconcile_forever(rt: Runtime) -> None:
    passes = 0
    settings = rt.settings
    while True:
        try:
            with one_pass_at_a_time(rt.redis) as mine:
                if mine:
                    reconcile(
                        db,
                        rt.dispatcher,
                        redis=rt.redis,
                        grace=timedelta(seconds=settings.reconcile_seconds),
                        everything=passes == 0 and rt.redis is None,
                        stale_after=timedelta(seconds=settings.job_timeout) + STALE_MARGIN,
                    )
        except Exception:
            log.exception("reconciler pass failed")
        if passes % SWEEP_EVERY_PASSES == 0:
            try:
                sweep_orphans(
                    db, settings.storage_dir, timedelta(seconds=settings.orphan_grace_seconds)
                )
            except Exception:
                log.exception("orphan sweep failed")
        passes += 1
        socketio.sleep(settings.reconcile_seconds)

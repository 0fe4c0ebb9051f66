"""Wiring the scoring pipeline into the web process for either mode (SPEC §10)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from redis import Redis

from app.extensions import db, socketio
from config import Settings
from judge.jobs import JudgeContext, set_context
from judge.reconciler import reconcile
from judge.runner import Dispatcher, RQDispatcher, ThreadDispatcher
from scoreboard.clock import BoardClock
from scoreboard.publish import Publisher

log = logging.getLogger(__name__)
CLOCK_SECONDS = 1.0


@dataclass
class Runtime:
    settings: Settings
    dispatcher: Dispatcher
    publisher: Publisher
    redis: Redis | None


def runtime() -> Runtime:
    """The pipeline of the current app."""
    return current_app.extensions["hackjudge"]


def init_runtime(app: Flask, settings: Settings, *, start_background: bool) -> Runtime:
    publisher = Publisher(socketio, db, min_interval=settings.push_interval_ms / 1000)
    redis: Redis | None = None
    dispatcher: Dispatcher
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
        dispatcher = RQDispatcher(redis, settings.queue_name, settings.job_timeout)
    else:
        # Embedded: this process scores, so it is also the judge's context.
        dispatcher = ThreadDispatcher(settings.embedded_threads)
        set_context(JudgeContext(db=db, storage_dir=settings.storage_dir, publisher=publisher))
    rt = Runtime(settings=settings, dispatcher=dispatcher, publisher=publisher, redis=redis)
    app.extensions["hackjudge"] = rt
    if start_background:
        socketio.start_background_task(_reconcile_forever, rt)
        socketio.start_background_task(_tick_forever, BoardClock(db, publisher))
    return rt


def _tick_forever(clock: BoardClock) -> None:
    while True:
        try:
            clock.tick()
        except Exception:
            log.exception("board clock tick failed")
        socketio.sleep(CLOCK_SECONDS)


def _reconcile_forever(rt: Runtime) -> None:
    first = True
    while True:
        try:
            reconcile(
                db,
                rt.dispatcher,
                redis=rt.redis,
                grace=timedelta(seconds=rt.settings.reconcile_seconds),
                everything=first and rt.redis is None,
            )
        except Exception:
            log.exception("reconciler pass failed")
        first = False
        socketio.sleep(rt.settings.reconcile_seconds)

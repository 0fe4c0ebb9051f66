"""Issue 11 (6): a worker that idled past redis-py's socket timeout still picks a job up at once.

redis-py ≥ 6 times socket reads out after ``DEFAULT_SOCKET_TIMEOUT`` (5 s); RQ waits for jobs in
a BLPOP of minutes. A worker connection carrying the short timeout made every idle BLPOP fail
("could not connect to Redis instance: Timeout reading from socket retrying in 1 seconds") and
RQ back off 1, 2, 4 … 60 s, while submissions waited in the queue.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import select

from core.db import Database
from core.models import Submission
from tests.actions import Api
from tests.helpers import Proc, prediction_csv, seed_env, server_in, wait_for, worker_in

# redis-py's read timeout for a client made without one: 5 s since 6.0, none before.
SOCKET_TIMEOUT_S = inspect.signature(Redis).parameters["socket_timeout"].default or 5.0
# How long the worker idles before the upload: past the socket timeout, and into RQ's third
# back-off. A worker whose BLPOP times out after T s fails at T, 2T + 1 and 3T + 3 s of idling
# (sleeping 1, 2, then 4 s after each), so at 3T + 5 it is asleep for 2 s more and the delay
# shows in the row's timestamps as well as in its log, with a second's margin either way.
IDLE_S = 3 * SOCKET_TIMEOUT_S + 5
# RQ's first back-off after a Redis error sleeps 1 s, and at IDLE_S a faulty worker would sleep
# on for ~2 s. A healthy pickup by a warm worker (BLPOP returns, RQ loads the job, ``_start``
# commits ``started_at``) takes 10-60 ms on a 2-core machine even at load 6 (bench/pickup.py):
# 1 s leaves a wide margin on both sides.
PICKUP_BOUND_S = 1.0


@pytest.fixture
def redis(production_env: dict[str, str]) -> Iterator[Redis]:
    client = Redis.from_url(production_env["HACKJUDGE_REDIS_URL"])
    yield client
    client.close()


def idle_worker(redis: Redis, queue_name: str) -> bool:
    workers = Worker.all(connection=redis, queue=Queue(queue_name, connection=redis))
    return len(workers) == 1 and workers[0].get_state() == "idle"


def test_idle_worker_picks_up_promptly(
    production_env: dict[str, str], redis: Redis, tmp_path: Path, spawned: list[Proc]
) -> None:
    env = production_env
    contest = seed_env(env, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")
    worker = worker_in(env, spawned, tmp_path, "worker")
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])

    def scored(sub_id: str) -> Submission | None:
        with database.begin() as session:  # the reply's id is the team's opaque one
            row = session.scalars(select(Submission).where(Submission.public_id == sub_id)).first()
        return row if row is not None and row.status == "scored" else None

    def submit(seed: int) -> str:
        return Api(server, contest).submit("팀0", prediction_csv(contest.truth, 0.3, seed))

    try:
        # A first job warms the worker up (its database connections), as in a running event.
        first = submit(1)
        wait_for(lambda: scored(first), 60, "the first submission to be scored")
        wait_for(lambda: idle_worker(redis, env["HACKJUDGE_QUEUE"]), 60, "the worker to idle")
        idle_since = time.monotonic()

        def idled_long_enough() -> bool:
            assert worker.popen.poll() is None, worker.output()
            return time.monotonic() - idle_since > IDLE_S

        wait_for(idled_long_enough, IDLE_S + 30, "the worker to idle long enough")
        second = submit(2)
        # Generous: with the bug the job may sit through a back-off of up to 60 s.
        row = wait_for(lambda: scored(second), 120, "the submission after idling to be scored")
    finally:
        assert database.engine is not None
        database.engine.dispose()

    log = worker.output()
    assert "could not connect" not in log and "Timeout reading" not in log, log
    assert row.started_at is not None
    pickup = (row.started_at - row.created_at).total_seconds()
    assert 0 <= pickup < PICKUP_BOUND_S, f"picked up {pickup:.2f} s after upload\n{log}"

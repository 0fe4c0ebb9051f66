"""Issue 12 (8): the reconciler finds every submission nobody will finish, rule by rule.

Against real Redis (a private server) and PostgreSQL, with RQ's own structures: a row left
``scoring`` by a live worker that no longer holds it (its job ended while the database was
away, and so did its failure callback), and a ``queued`` row whose job a worker took from the
queue and then died with (RQ's intermediate list, looked at every ten minutes at best).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from core.db import Database, utcnow
from core.models import Submission, Task, Team
from judge.heartbeat import Heartbeat
from judge.reconciler import beats_settled, reconcile
from judge.runner import RQDispatcher, job_id
from tests.helpers import seed_contest, wait_for
from tests.services import RedisServer


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_a_row_its_live_worker_no_longer_holds_is_dispatched_again(
    postgres_url: str, private_redis: RedisServer, tmp_path: Path
) -> None:
    """Item 8's stuck row, rule by rule: a live worker's heartbeat says what it holds."""
    database = Database()
    database.configure(postgres_url)
    redis = Redis.from_url(private_redis.url)
    beat = Heartbeat(private_redis.url, "judge-host:4242").start()
    try:
        seed_contest(database, tmp_path / "storage", tmp_path)
        with database.begin() as session:
            task_id = session.scalars(select(Task.id)).one()
            team_id = session.scalars(select(Team.id)).first()
            rows = [
                Submission(
                    task_id=task_id,
                    team_id=team_id,
                    filename="p.csv",
                    stored_path=f"submissions/00/{i}.upload",
                    sha256="0" * 64,
                    size=1,
                    status="scoring",
                    attempts=1,
                    worker="judge-host:4242",
                    started_at=utcnow() - timedelta(minutes=1),
                )
                for i in range(2)
            ]
            session.add_all(rows)
            session.flush()
            held, dropped = (r.id for r in rows)
        # The worker is alive and scoring the first; the second's job ended while the
        # database was away, and so did its failure callback: nobody will finish it.
        beat.hold(held)
        dispatcher = RQDispatcher(redis, "outage-test", 600)
        lost = reconcile(database, dispatcher, redis=redis, grace=timedelta(seconds=1))
        assert lost == [dropped]
        assert dispatcher.queue.job_ids == [job_id(dropped)]
        with database.begin() as session:
            statuses = dict(session.execute(select(Submission.id, Submission.status)).all())
        assert statuses == {held: "scoring", dropped: "queued"}
        # Once the worker puts the first down with the row still scoring, it goes back too.
        beat.hold(None)
        assert reconcile(database, dispatcher, redis=redis, grace=timedelta(seconds=1)) == [held]
    finally:
        beat.stop()
        redis.close()
        assert database.engine is not None
        database.engine.dispose()


@pytest.mark.slow  # seconds
def test_a_job_taken_by_a_worker_that_died_before_its_row_moved_is_dispatched_again(
    postgres_url: str, private_redis: RedisServer, tmp_path: Path
) -> None:
    """Killed between RQ's dequeue and the job's first write: the row is still ``queued``, its
    job sits in RQ's intermediate list, which RQ looks at every ten minutes at best."""
    database = Database()
    database.configure(postgres_url)
    redis = Redis.from_url(private_redis.url)
    survivor = Heartbeat(private_redis.url, "judge-host:1").start()  # a live worker, idle
    try:
        seed_contest(database, tmp_path / "storage", tmp_path)
        with database.begin() as session:
            sub = Submission(
                task_id=session.scalars(select(Task.id)).one(),
                team_id=session.scalars(select(Team.id)).first(),
                filename="p.csv",
                stored_path="submissions/00/0.upload",
                sha256="0" * 64,
                size=1,
                status="queued",
                created_at=utcnow() - timedelta(minutes=1),
            )
            session.add(sub)
            session.flush()
            sub_id = sub.id
        dispatcher = RQDispatcher(redis, "limbo-test", 600)
        dispatcher.enqueue(sub_id)
        # A worker takes the job as RQ does (into the intermediate list), then dies.
        taken = Queue.dequeue_any([dispatcher.queue], timeout=1, connection=redis)
        assert taken is not None and dispatcher.queue.job_ids == []
        # Heartbeats are trusted once Redis has been up longer than their lifetime.
        wait_for(lambda: beats_settled(redis), 30, "Redis to be up for a heartbeat's lifetime")

        limbo: dict[int, datetime] = {}
        grace = timedelta(seconds=1)

        def again() -> list[int]:
            return reconcile(database, dispatcher, redis=redis, grace=grace, limbo=limbo)

        assert again() == []  # first seen in limbo: a live worker may be about to hold it
        assert wait_for(again, 10, "the job to stay in limbo past the grace") == [sub_id]
        assert dispatcher.queue.job_ids == [job_id(sub_id)]
    finally:
        survivor.stop()
        redis.close()
        assert database.engine is not None
        database.engine.dispose()

"""Issue 12 (7, 8): a Redis or PostgreSQL outage during uploads loses nothing and heals itself.

Real processes against private servers the test may kill: a redis-server of its own, a
PostgreSQL cluster of its own (initdb), never the machine's. During an outage an upload is
accepted (202) or refused for now (503 with ``Retry-After``), never a 500; the workers live
through it, and every accepted submission ends scored with no human action.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from redis import Redis
from rq.job import Job
from sqlalchemy import select

from core.db import Database
from core.models import Submission
from judge.runner import job_id
from migrations import upgrade
from tests.actions import Api, bearer
from tests.helpers import (
    Proc,
    prediction_csv,
    seed_contest,
    seed_env,
    server_in,
    wait_for,
    worker_in,
)
from tests.services import RedisServer, free_port

FINAL = ("scored", "invalid", "failed")


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb), which it may stop and start again."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        assert found, "the outage test needs PostgreSQL's initdb"
        self.bindir = Path(found[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="hackjudge-pg-outage-"))
        self.port = free_port()
        # initdb refuses root: the cluster runs as the postgres system user then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(self.folder, "postgres")
        self.data = self.folder / "data"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / tool), *args], check=True, stdout=subprocess.DEVNULL
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "pg.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """As an outage: every connection is cut at once."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def remove(self) -> None:
        subprocess.run(
            [
                *self.prefix,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            ],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def rows_of(url: str) -> list[Submission]:
    database = Database()
    database.configure(url)
    try:
        with database.begin() as session:
            return list(session.scalars(select(Submission).order_by(Submission.id)))
    finally:
        assert database.engine is not None
        database.engine.dispose()


def assert_unavailable(reply: requests.Response) -> None:
    """503, a ``Retry-After`` in seconds, and the API's error shape."""
    assert reply.status_code == 503, (reply.status_code, reply.text[:300])
    assert int(reply.headers["Retry-After"]) > 0
    assert reply.json()["error"]["code"] == "unavailable"


def test_workers_live_through_a_redis_outage_and_uploads_are_never_500(
    production_env: dict[str, str],
    private_redis: RedisServer,
    tmp_path: Path,
    spawned: list[Proc],
) -> None:
    env = {**production_env, "HACKJUDGE_REDIS_URL": private_redis.url}
    env["HACKJUDGE_RECONCILE_SECONDS"] = "1"
    # Files big enough that both workers are still scoring when Redis dies.
    contest = seed_env(env, tmp_path, teams=4, rows=500_000, max_file_mb=100)
    server = server_in(env, spawned, tmp_path, "web")
    workers = [worker_in(env, spawned, tmp_path, f"worker{i}") for i in (1, 2)]
    bodies = [prediction_csv(contest.truth, 0.3 + 0.05 * i, i) for i in range(8)]
    before = [
        Api(server, contest).upload(team, bodies[i], timeout=60)
        for i, team in enumerate(contest.tokens)
    ]
    assert [r.status_code for r in before] == [202] * 4, [r.text for r in before]
    url = env["HACKJUDGE_DATABASE_URL"]
    wait_for(
        lambda: sum(r.status == "scoring" for r in rows_of(url)) == 2,
        60,
        "both workers to be busy",
    )

    private_redis.stop()
    during = [
        Api(server, contest).upload(team, bodies[4 + i], timeout=60)
        for i, team in enumerate(contest.tokens)
    ]
    # Each worker has met the outage (its job ended, RQ's bookkeeping after it failed).
    wait_for(
        lambda: all(
            w.popen.poll() is not None or "Connection refused" in w.output() for w in workers
        ),
        60,
        "the workers to meet the outage",
    )
    private_redis.start()  # on the same port, empty: every queued job is gone

    statuses = [r.status_code for r in during]
    assert 500 not in statuses and set(statuses) <= {202, 503}, [r.text[:200] for r in during]
    for reply in during:
        if reply.status_code == 503:
            assert_unavailable(reply)
    for worker in workers:
        assert worker.popen.poll() is None, f"a worker died of the outage:\n{worker.output()}"
    accepted = [r.json()["id"] for r in before + during if r.status_code == 202]

    def all_final() -> list[Submission] | None:
        rows = rows_of(url)
        return rows if all(r.status in FINAL for r in rows) else None

    rows = wait_for(all_final, 120, "every accepted submission to be scored after the outage")
    assert sorted(r.public_id for r in rows) == sorted(accepted)  # a team's ids are opaque
    assert {r.status for r in rows} == {"scored"}, [(r.id, r.status, r.staff_error) for r in rows]
    for worker in workers:  # still the same processes: nobody restarted them
        assert worker.popen.poll() is None, worker.output()


def test_postgres_outage_answers_503_and_heals_a_row_left_scoring(
    production_env: dict[str, str],
    private_postgres: PrivatePostgres,
    private_redis: RedisServer,
    tmp_path: Path,
    spawned: list[Proc],
) -> None:
    url = private_postgres.database("hackjudge_outage")
    upgrade(url)
    # A private Redis too: the RQ job is watched, and no other test run may flush it.
    env = {
        **production_env,
        "HACKJUDGE_DATABASE_URL": url,
        "HACKJUDGE_REDIS_URL": private_redis.url,
    }
    env["HACKJUDGE_RECONCILE_SECONDS"] = "1"
    contest = seed_env(env, tmp_path, rows=400_000, max_file_mb=100)
    server = server_in(env, spawned, tmp_path, "web")
    worker = worker_in(env, spawned, tmp_path, "worker")
    first = Api(server, contest).upload("팀0", prediction_csv(contest.truth, 0.3, 1), timeout=60)
    assert first.status_code == 202, first.text
    first_id = first.json()["id"]  # the team's name for it
    row = wait_for(
        lambda: (rows := rows_of(url))[0].status == "scoring" and rows[0],
        60,
        "the worker to start scoring",
    )

    private_postgres.stop()
    # The job ends while the database is away: its write fails, so does its failure callback,
    # and so do RQ's retries. Meanwhile the web node answers 503, never 500.
    redis = Redis.from_url(env["HACKJUDGE_REDIS_URL"])
    job = Job.fetch(job_id(row.id), connection=redis)
    small = prediction_csv(contest.truth, 0.4, 2)
    replies = [Api(server, contest).upload(team, small, timeout=60) for team in ("팀1", "팀2")]
    wait_for(
        lambda: job.get_status(refresh=True) == "failed",
        90,
        "RQ to give up the job while the database is away",
    )
    replies.append(Api(server, contest).upload("팀1", small, timeout=60))
    page = requests.get(f"{server.url}/events/{contest.event}", timeout=30)
    mine = requests.get(
        f"{server.url}/api/v1/submissions/{first_id}",
        headers=bearer(contest.tokens["팀0"]),
        timeout=30,
    )
    private_postgres.start()

    statuses = sorted({r.status_code for r in replies})
    assert statuses == [503], [r.text[:300] for r in replies if r.status_code != 503]
    for reply in replies:
        assert_unavailable(reply)
    assert_unavailable(mine)
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    assert int(page.headers["Retry-After"]) > 0

    # No human action: the reconciler finds the row its live worker no longer holds.
    wait_for(lambda: rows_of(url)[0].status in FINAL, 60, "the row left scoring to be scored again")
    assert rows_of(url)[0].status == "scored", rows_of(url)[0].staff_error
    # The pool healed: uploads are accepted and scored again.
    again = Api(server, contest).upload("팀1", prediction_csv(contest.truth, 0.4, 2), timeout=60)
    assert again.status_code == 202, again.text
    wait_for(
        lambda: [r.status for r in rows_of(url)] == ["scored", "scored"],
        60,
        "an upload after the outage to be scored",
    )
    assert worker.popen.poll() is None, worker.output()
    redis.close()


def test_uploads_during_a_redis_outage_are_dispatched_when_it_returns(
    production_env: dict[str, str],
    private_redis: RedisServer,
    tmp_path: Path,
    spawned: list[Proc],
) -> None:
    """Accepted while Redis is away (the database holds them); scored once it is back."""
    env = {**production_env, "HACKJUDGE_REDIS_URL": private_redis.url}
    env["HACKJUDGE_RECONCILE_SECONDS"] = "1"
    contest = seed_env(env, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")
    worker = worker_in(env, spawned, tmp_path, "worker")
    private_redis.stop()
    replies = []
    lock = threading.Lock()

    def one(i: int, team: str) -> None:
        reply = Api(server, contest).upload(team, prediction_csv(contest.truth, 0.3, i), timeout=60)
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=one, args=(i, t)) for i, t in enumerate(contest.tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in replies) == [202, 202, 202], [r.text for r in replies]
    private_redis.start()
    url = env["HACKJUDGE_DATABASE_URL"]
    wait_for(
        lambda: [r.status for r in rows_of(url)] == ["scored"] * 3,
        90,
        "the uploads made during the outage to be scored",
    )
    assert worker.popen.poll() is None, worker.output()


def test_a_database_lost_after_the_answer_does_not_turn_it_into_a_500(
    postgres_url: str, tmp_path: Path
) -> None:
    """PostgreSQL stopping between a request's answer and its closing ROLLBACK (seen in
    bench/faults.py): the client keeps its answer."""
    from app import create_app
    from app.extensions import db
    from config import Settings

    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=postgres_url,
        redis_url=None,
        storage_dir=tmp_path / "storage",
        secret_key="test",
    )
    app = create_app(settings, start_background=False)
    contest = seed_contest(db, settings.storage_dir, tmp_path)
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"

    @app.after_request
    def cut_the_connection(response):  # noqa: ANN001,ANN202
        # The server ends this request's connection while its transaction is still open.
        assert db.session is not None
        pid = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return response

    reply = app.test_client().get(f"/api/v1/events/{contest.event}/leaderboard")
    assert reply.status_code == 200 and reply.json["rows"] == []
    app.extensions["hackjudge"].dispatcher.drain(10)

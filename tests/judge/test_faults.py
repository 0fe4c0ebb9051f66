"""SPEC §10/§11 faults: a SIGKILLed worker or a restarted Redis loses no submission."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from core.db import Database
from core.models import Submission
from tests.actions import Api
from tests.helpers import Proc, prediction_csv, seed_contest, server_in, wait_for, worker_in
from tests.services import RedisServer


def rows_of(database: Database) -> list[Submission]:
    with database.begin() as session:
        return list(session.scalars(select(Submission).order_by(Submission.id)))


@pytest.fixture
def database(production_env: dict[str, str]) -> Iterator[Database]:
    database = Database()
    database.configure(production_env["HACKJUDGE_DATABASE_URL"])
    yield database
    database.engine.dispose()


def test_worker_killed_mid_job_is_rescored_by_another(
    production_env: dict[str, str], database: Database, tmp_path: Path, spawned: list[Proc]
) -> None:
    env = {**production_env, "HACKJUDGE_RECONCILE_SECONDS": "1"}
    # Big enough that scoring takes a while, so the kill lands mid-job.
    contest = seed_contest(
        database, Path(env["HACKJUDGE_STORAGE_DIR"]), tmp_path, rows=600_000, max_file_mb=100
    )
    server = server_in(env, spawned, tmp_path, "web")
    first = worker_in(env, spawned, tmp_path, "worker1")
    sub_id = Api(server, contest).submit("팀0", prediction_csv(contest.truth, 0.4, 1), timeout=60)

    def scoring_row() -> Submission | None:
        row = rows_of(database)[0]
        return row if row.status == "scoring" else None

    row = wait_for(scoring_row, 60, "the worker to start scoring")
    assert row.worker.endswith(f":{first.popen.pid}")
    os.kill(first.popen.pid, signal.SIGKILL)
    first.popen.wait(10)
    worker_in(env, spawned, tmp_path, "worker2")

    done = wait_for(
        lambda: [r for r in rows_of(database) if r.status == "scored"],
        120,
        "the submission to be scored by the second worker",
    )
    assert done[0].public_id == sub_id  # (the team's reply names it by its opaque id)
    assert done[0].attempts == 2
    assert not done[0].worker.endswith(f":{first.popen.pid}")
    board = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/leaderboard", timeout=10
    ).json()
    assert [r["team"] for r in board["rows"]] == ["팀0"]


def test_redis_restart_loses_no_queued_submission(
    production_env: dict[str, str], database: Database, tmp_path: Path, spawned: list[Proc]
) -> None:
    redis_server = RedisServer(tmp_path).start()
    try:
        env = {
            **production_env,
            "HACKJUDGE_REDIS_URL": redis_server.url,
            "HACKJUDGE_RECONCILE_SECONDS": "1",
        }
        contest = seed_contest(database, Path(env["HACKJUDGE_STORAGE_DIR"]), tmp_path)
        server = server_in(env, spawned, tmp_path, "web")
        # No worker yet: the jobs wait in Redis, and then Redis dies with them.
        ids = [
            Api(server, contest).submit(team, prediction_csv(contest.truth, 0.3, i), timeout=60)
            for i, team in enumerate(contest.tokens)
        ]
        redis_server.stop()
        redis_server.start()
        worker_in(env, spawned, tmp_path, "worker")
        scored = wait_for(
            lambda: (
                (rows := rows_of(database)) and all(r.status == "scored" for r in rows) and rows
            ),
            120,
            "every submission to be scored after the restart",
        )
        assert [r.public_id for r in scored] == ids
        assert all(r.attempts == 1 for r in scored)
    finally:
        for proc in spawned:
            proc.stop()
        redis_server.stop()

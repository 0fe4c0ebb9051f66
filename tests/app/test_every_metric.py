"""Every metric the way people meet it (SPEC §4: the sample "uploads and scores as it is, for
every metric"): the organizer creates the task from a truth file through the API, a team
downloads the sample submission over HTTP and uploads it as it is, then a real attempt whose
scores must match scikit-learn. Once through the REST API (embedded, SQLite), once through
``hackjudge submit --wait`` against a production server and worker."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.db import Database
from core.models import Task
from judge.metrics import available
from tests.actions import Api, bearer
from tests.helpers import (
    CUSTOM_METRIC,
    HACKJUDGE,
    Contest,
    Proc,
    install_custom_metric,
    seed_env,
    settle,
    spawn,
    start_server,
)
from tests.metric_cases import (
    MetricCase,
    attempt,
    csv_bytes,
    expected,
    metric_cases,
    stored_usage,
    truth,
)
from tests.services import free_port

CASES = metric_cases()
TOLERANCE = {"rel": 1e-9, "abs": 1e-12}


@pytest.fixture(scope="module", autouse=True)
def custom_metric(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The custom metric installed for this module's app and servers."""
    site = install_custom_metric(tmp_path_factory.mktemp("site"))
    sys.path.insert(0, str(site))
    yield site
    sys.path.remove(str(site))
    sys.modules.pop("hj_maxerr", None)


def test_every_metric_has_a_case() -> None:
    """Built-ins and the installed custom metric: a new metric gets a case or fails here."""
    assert CUSTOM_METRIC in available()
    assert {c.metric for c in CASES} == set(available())


# --- through the REST API, in-process, SQLite and PostgreSQL -----------------------------


def _create_task(client: FlaskClient, contest: Contest, case: MetricCase) -> dict:
    frame = truth(case)
    reply = client.post(
        f"/api/v1/events/{contest.event}/tasks",
        headers=bearer(contest.staff_tokens["organizer"]),
        data={
            "slug": case.slug,
            "metric": case.metric,
            "truth": (csv_bytes(frame), "truth.csv"),
            **case.form,
        },
    )
    assert reply.status_code == 201, reply.json
    return reply.json


@pytest.mark.slow  # every metric scored through the API: half a minute in all
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_sample_scores_and_an_attempt_matches_scikit_learn(
    app: Flask, client: FlaskClient, contest: Contest, case: MetricCase, tmp_path: Path, api: Api
) -> None:
    _create_task(client, contest, case)
    sample = client.get(f"/api/v1/events/{contest.event}/tasks/{case.slug}/sample-submission")
    assert sample.status_code == 200
    first = api.submit("팀0", sample.data, "sample_submission.csv", task=case.slug)
    frame = truth(case)
    tried = attempt(case, frame)
    second = api.submit("팀0", tried.body, "attempt.csv", task=case.slug)
    settle(app)
    staff = bearer(contest.staff_tokens["organizer"])
    scored = client.get(f"/api/v1/submissions/{first}", headers=staff).json
    assert scored["status"] == "scored", scored
    got = client.get(f"/api/v1/submissions/{second}", headers=staff).json
    assert got["status"] == "scored", got

    with db.begin() as session:
        usage = stored_usage(
            session.scalars(select(Task).where(Task.slug == case.slug)).one().truth_path
        )
    want = expected(case, frame, usage, tried.meant)
    assert got["public_score"] == pytest.approx(want["Public"], **TOLERANCE)
    assert got["private_score"] == pytest.approx(want["Private"], **TOLERANCE)


# --- through ``hackjudge submit --wait`` against a running server ------------------------


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The API cases run on SQLite; the ``submit --wait`` cases below on PostgreSQL."""
    return sqlite_url


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory,
    custom_metric: Path,
    postgres_admin_url: str,
    pg_template: str,
    redis_url: str,
) -> Iterator[tuple[Proc, Contest, dict[str, str]]]:
    """A production deployment for every metric: a server and a worker on PostgreSQL and
    Redis, the custom metric installed in both; its contest and its environment."""
    tmp = tmp_path_factory.mktemp("every-metric")
    name = f"hackjudge_metrics_{os.getpid()}"
    admin = psycopg.connect(postgres_admin_url, autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.execute(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    tag = secrets.token_hex(4)
    env = {
        "HACKJUDGE_DATABASE_URL": postgres_admin_url.rsplit("/", 1)[0] + "/" + name,
        "HACKJUDGE_REDIS_URL": redis_url,
        "HACKJUDGE_QUEUE": f"test-{tag}",
        "HACKJUDGE_SOCKETIO_CHANNEL": f"test-{tag}",
        "HACKJUDGE_INSTANCE_DIR": str(tmp / "instance"),
        "HACKJUDGE_STORAGE_DIR": str(tmp / "storage"),
        "HACKJUDGE_SECRET_KEY": "test",
        "PYTHONPATH": str(custom_metric),
    }
    contest = seed_env(env, tmp)
    server = start_server(env, tmp / "server.log", free_port())
    worker = spawn(["worker"], env, tmp / "worker.log")
    try:
        yield server, contest, env
    finally:
        worker.stop()
        server.stop()
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _submit(env: dict[str, str], server: Proc, token: str, event: str, task: str, path: Path):  # noqa: ANN202
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HACKJUDGE_")}
    return subprocess.run(
        [HACKJUDGE, "submit", event, task, str(path), "--wait"],
        env={
            **clean,
            "PYTHONPATH": env["PYTHONPATH"],
            "LANG": "C.UTF-8",
            "HACKJUDGE_SERVER": server.url,
            "HACKJUDGE_TOKEN": token,
        },  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow  # a server and a worker (module fixture), the CLI per case
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_submit_wait_scores_the_sample_and_an_attempt(
    running: tuple[Proc, Contest, dict[str, str]], case: MetricCase, tmp_path: Path
) -> None:
    server, contest, env = running
    organizer = bearer(contest.staff_tokens["organizer"])
    frame = truth(case)
    made = requests.post(
        f"{server.url}/api/v1/events/{contest.event}/tasks",
        headers=organizer,
        data={"slug": case.slug, "metric": case.metric, **case.form},
        files={"truth": ("truth.csv", frame.to_csv(index=False).encode())},
        timeout=60,
    )
    assert made.status_code == 201, made.text
    sample = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/tasks/{case.slug}/sample-submission",
        timeout=30,
    )
    assert sample.status_code == 200
    sample_file = tmp_path / "sample_submission.csv"
    sample_file.write_bytes(sample.content)
    token = contest.tokens["팀1"]
    done = _submit(env, server, token, contest.event, case.slug, sample_file)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("scored: public score "), done.stdout

    tried = attempt(case, frame)
    attempt_file = tmp_path / "attempt.csv"
    attempt_file.write_bytes(tried.body)
    done = _submit(env, server, token, contest.event, case.slug, attempt_file)
    assert done.returncode == 0, done.stderr
    shown = re.fullmatch(r"scored: public score (\S+)\s*", done.stdout)
    assert shown, done.stdout

    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            usage = stored_usage(
                session.scalars(select(Task).where(Task.slug == case.slug)).one().truth_path
            )
    finally:
        assert database.engine is not None
        database.engine.dispose()
    want = expected(case, frame, usage, tried.meant)
    assert float(shown[1]) == pytest.approx(want["Public"], **TOLERANCE)

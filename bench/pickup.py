"""Pickup latency of one RQ worker just after a job vs. after idling (issue 11, item 6).

Starts a real deployment on this machine — PostgreSQL, Redis, one ``hackjudge serve`` and one
``hackjudge worker`` — with one task and one team, then uploads ``--samples`` submissions back
to back (the worker has just been busy), and ``--samples`` more each after the worker has
waited ``--idle`` seconds for work.

The default idle is redis-py's default socket timeout T plus 0.5 s. A worker whose blocking
dequeue read times out after T s (the fault of issue 11) fails at T, 2T + 1, 3T + 3 … s of
idling and sleeps 1, 2, 4 … s after each, picking nothing up meanwhile: the default lands in
its first sleep; ``--idle`` 3T + 5 in the middle of its third.

Per upload, from the submission's row: pickup (``created_at`` → ``started_at``, the time the
job sat in the queue) and upload → scored (the client's clock before the POST →
``finished_at``). Reported: median and max per phase, and the ratio idle / busy of the medians.

    python bench/pickup.py --samples 4 --idle 20
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import requests
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.db import Database  # noqa: E402
from core.models import Submission  # noqa: E402
from migrations import upgrade  # noqa: E402

PG_URL = os.environ.get("HACKJUDGE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("HACKJUDGE_BENCH_REDIS", "redis://127.0.0.1:6379/14")
HACKJUDGE = str(Path(sys.executable).with_name("hackjudge"))
# redis-py's read timeout for a client made without one: 5 s since 6.0, none before.
SOCKET_TIMEOUT_S = inspect.signature(Redis).parameters["socket_timeout"].default or 5.0


def poll(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.01)
    return value


class Proc:
    """A ``hackjudge`` subprocess in its own process group, its output in ``log``."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.popen = subprocess.Popen(
            [HACKJUDGE, *args],
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.popen.pid, sig)
                self.popen.wait(wait)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


def seed(database: Database, storage: Path, tmp: Path, rows: int) -> tuple[pd.DataFrame, str]:
    """One open event, one roc_auc task, one team; the truth and the team's API token."""
    from app.security import new_token
    from core.models import User
    from organize.events import create_event
    from organize.tasks import create_task
    from organize.teams import import_teams

    rng = np.random.default_rng(0)
    truth = pd.DataFrame({"id": [f"{i:06d}" for i in range(rows)]})
    truth["target"] = rng.integers(0, 2, rows)
    truth.to_csv(tmp / "truth.csv", index=False)
    roster = pd.DataFrame(
        [("bench", "bench", "bench", "bench@bench.kr")],
        columns=["team", "affiliation", "name", "email"],
    )
    with database.begin() as session:
        event = create_event(session, "bench", "bench", "2020-01-01T00:00", "2099-01-01T00:00")
        create_task(
            session,
            event,
            "t1",
            metric="roc_auc",
            truth=tmp / "truth.csv",
            storage_dir=storage,
            daily_limit=1000,
        )
        list(import_teams(session, event, roster))
        user = session.scalars(select(User).where(User.email == "bench@bench.kr")).one()
        return truth, new_token(session, user)


def stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "max": max(values)}


def fmt(figures: dict[str, float]) -> str:
    return "  ".join(f"{k} {v * 1000:8.1f} ms" for k, v in figures.items())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=4, help="uploads per phase")
    parser.add_argument(
        "--idle", type=float, default=SOCKET_TIMEOUT_S + 0.5, help="seconds idle before each upload"
    )
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hackjudge-bench-"))
    name = f"hackjudge_bench_{os.getpid()}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db_url = PG_URL.rsplit("/", 1)[0] + "/" + name
    tag = secrets.token_hex(4)
    env = {
        "HACKJUDGE_DATABASE_URL": db_url,
        "HACKJUDGE_REDIS_URL": REDIS_URL,
        "HACKJUDGE_INSTANCE_DIR": str(tmp / "instance"),
        "HACKJUDGE_STORAGE_DIR": str(tmp / "storage"),
        "HACKJUDGE_QUEUE": f"bench-{tag}",
        "HACKJUDGE_SOCKETIO_CHANNEL": f"bench-{tag}",
        "HACKJUDGE_SECRET_KEY": "bench",
        "HACKJUDGE_HOURLY_UPLOAD_LIMIT": "100000",
    }
    procs: list[Proc] = []
    finished = False  # the folder, with the processes' logs, stays when a run fails
    redis = Redis.from_url(REDIS_URL)
    database = Database()
    database.configure(db_url)
    try:
        upgrade(db_url)
        truth, token = seed(database, tmp / "storage", tmp, args.rows)
        with socket.socket() as probe:  # a free port
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        procs.append(Proc(["serve", "--port", str(port)], env, tmp / "web.log"))
        worker = Proc(["worker"], env, tmp / "worker.log")
        procs.append(worker)

        def answers() -> bool:
            try:
                return requests.get(f"{url}/api/v1/openapi.json", timeout=2).ok
            except requests.ConnectionError:
                return False

        poll(answers, 60, "the server")
        queue = Queue(env["HACKJUDGE_QUEUE"], connection=redis)

        def worker_idle() -> bool:
            workers = Worker.all(connection=redis, queue=queue)
            return len(workers) == 1 and workers[0].get_state() == "idle"

        rng = np.random.default_rng(1)
        session = requests.Session()

        def submit() -> tuple[float, float]:
            """Upload, wait until scored; (pickup, upload → scored) in seconds."""
            noisy = truth.assign(target=truth["target"] + rng.normal(0, 0.5, len(truth)))
            sent = datetime.now(UTC)
            reply = session.post(
                f"{url}/api/v1/events/bench/tasks/t1/submissions",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("p.csv", noisy.to_csv(index=False).encode(), "text/csv")},
                timeout=60,
            )
            if reply.status_code != 202:
                raise SystemExit(f"upload refused: {reply.status_code} {reply.text}")

            def scored() -> Submission | None:
                with database.begin() as db_session:  # the team's reply names it opaquely
                    row = db_session.scalars(
                        select(Submission).where(Submission.public_id == reply.json()["id"])
                    ).first()
                return row if row is not None and row.status == "scored" else None

            row = poll(scored, 120, "the submission to be scored")
            assert isinstance(row, Submission) and row.started_at and row.finished_at
            return (
                (row.started_at - row.created_at).total_seconds(),
                (row.finished_at - sent).total_seconds(),
            )

        poll(worker_idle, 60, "the worker")
        submit()  # warm-up: the worker's first job opens its database connections
        phases: dict[str, list[tuple[float, float]]] = {"busy": [], "idle": []}
        for phase in phases:
            for _ in range(args.samples):
                poll(worker_idle, 60, "the worker to finish its job")
                if phase == "idle":
                    time.sleep(args.idle)
                phases[phase].append(submit())

        log = worker.log.read_text(errors="replace")
        errors = sum("could not connect to Redis" in line for line in log.splitlines())
        result = {
            "samples": args.samples,
            "idle_s": args.idle,
            "redis_socket_timeout_default_s": SOCKET_TIMEOUT_S,
            "worker_redis_errors": errors,
            **{
                phase: {
                    "pickup_s": stats([p for p, _ in samples]),
                    "upload_to_scored_s": stats([s for _, s in samples]),
                }
                for phase, samples in phases.items()
            },
        }
        ratio = result["idle"]["pickup_s"]["median"] / result["busy"]["pickup_s"]["median"]
        result["idle_over_busy_pickup_median"] = ratio
        print(
            f"one worker, {args.samples} uploads per phase of {args.rows:,} rows; idle phase "
            f"waits {args.idle:g} s (redis-py default socket timeout {SOCKET_TIMEOUT_S:g} s)"
        )
        for phase in phases:
            print(f"  {phase:4} pickup          : {fmt(result[phase]['pickup_s'])}")
            print(f"  {phase:4} upload → scored : {fmt(result[phase]['upload_to_scored_s'])}")
        print(f"  idle / busy pickup median = {ratio:.2f}")
        print(f"  worker log 'could not connect to Redis' lines: {errors}")
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
        finished = True
    finally:
        for proc in procs:
            proc.stop()
        assert database.engine is not None
        database.engine.dispose()
        redis.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if finished:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs in {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()

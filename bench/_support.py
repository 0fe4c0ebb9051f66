"""What the benches share: where PostgreSQL and Redis answer, free ports, ``hackjudge``
processes, a seeded event and plausible files to upload.

Imports nothing from ``tests/``: a bench stands on its own. The services are the machine's own
(``HACKJUDGE_BENCH_POSTGRES``, ``HACKJUDGE_BENCH_REDIS``); Redis database 11, not the test
suite's 13, which every test session flushes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import Database  # noqa: E402

T = TypeVar("T")
HACKJUDGE = str(Path(sys.executable).with_name("hackjudge"))
PG_URL = os.environ.get("HACKJUDGE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("HACKJUDGE_BENCH_REDIS", "redis://127.0.0.1:6379/11")


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of ``values`` (NaN each for none)."""
    if not values:
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(values)
    q = (
        statistics.quantiles(ordered, n=100, method="inclusive")
        if len(ordered) > 1
        else ordered * 99
    )
    return {"p50": statistics.median(ordered), "p90": q[89], "p99": q[98], "max": ordered[-1]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; RuntimeError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Proc:
    """A process in a group of its own, with its log; ``stop`` ends the group."""

    popen: subprocess.Popen
    log: Path
    url: str = ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; children too (an RQ worker forks a scheduler)."""
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(5)
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def spawn(args: list[str], env: dict[str, str], log: Path) -> Proc:
    """``hackjudge ARGS`` with ``env`` over this environment, its output in ``log``."""
    handle = log.open("wb")
    popen = subprocess.Popen(
        [HACKJUDGE, *args],
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Proc(popen, log)


def start_server(env: dict[str, str], log: Path, port: int) -> Proc:
    """``hackjudge serve`` on ``port``, once it answers."""
    proc = spawn(["serve", "--port", str(port)], env, log)
    proc.url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"server exited:\n{proc.output()}")
        try:
            return requests.get(proc.url + "/api/v1/openapi.json", timeout=2).ok
        except requests.ConnectionError:
            return False

    wait_for(up, 60, "the server to answer")
    return proc


def production_env(db_url: str, tmp: Path, tag: str) -> dict[str, str]:
    """The environment of a production deployment for a bench: its database, the bench's
    Redis, storage under ``tmp``, a queue and channel of its own (``tag``), no upload limit."""
    return {
        "HACKJUDGE_DATABASE_URL": db_url,
        "HACKJUDGE_REDIS_URL": REDIS_URL,
        "HACKJUDGE_INSTANCE_DIR": str(tmp / "instance"),
        "HACKJUDGE_STORAGE_DIR": str(tmp / "storage"),
        "HACKJUDGE_QUEUE": tag,
        "HACKJUDGE_SOCKETIO_CHANNEL": tag,
        "HACKJUDGE_SECRET_KEY": "bench",
        "HACKJUDGE_HOURLY_UPLOAD_LIMIT": "100000",
    }


def prediction_csv(truth: pd.DataFrame, noise: float, seed: int) -> bytes:
    """A plausible upload: the truth blurred by ``noise``, rows shuffled."""
    rng = np.random.default_rng(seed)
    pred = truth["target"].to_numpy(dtype=float) + rng.normal(0, noise, len(truth))
    frame = pd.DataFrame({"id": truth["id"], "target": pred}).sample(frac=1, random_state=seed)
    return frame.to_csv(index=False).encode()


@dataclass
class Seeded:
    """One open event with one ``roc_auc`` task and a token per team (team name → token)."""

    event: str
    task: str
    metric: str
    truth: pd.DataFrame
    truth_path: Path
    tokens: dict[str, str] = field(default_factory=dict)


def seed_event(
    database: Database,
    storage: Path,
    tmp: Path,
    *,
    teams: int,
    rows: int,
    daily_limit: int | None = None,
) -> Seeded:
    """Seed an event open for the next hours: ``teams`` teams of one member each, a binary
    truth of ``rows`` rows (``daily_limit``: uploads a team may make a day)."""
    from app.security import new_token
    from core.models import User
    from organize.events import create_event
    from organize.tasks import create_task
    from organize.teams import import_teams

    rng = np.random.default_rng(rows)
    truth = pd.DataFrame(
        {"id": [f"{i:06d}" for i in range(rows)], "target": rng.integers(0, 2, rows)}
    )
    truth.to_csv(tmp / "truth.csv", index=False)
    now = datetime.now(UTC)
    with database.begin() as session:
        event = create_event(
            session,
            "bench",
            "Bench",
            (now - timedelta(hours=1)).isoformat(),
            (now + timedelta(hours=6)).isoformat(),
        )
        task = create_task(
            session,
            event,
            "t1",
            metric="roc_auc",
            truth=tmp / "truth.csv",
            storage_dir=storage,
            daily_limit=daily_limit,
        )
        seeded = Seeded(event.slug, task.slug, "roc_auc", truth, Path(task.truth_path))
        roster = pd.DataFrame(
            [(f"team{i}", "bench", f"member{i}", f"m{i}@bench.kr") for i in range(teams)],
            columns=["team", "affiliation", "name", "email"],
        )
        for cred in import_teams(session, event, roster):
            user = session.query(User).filter_by(email=cred.email).one()
            seeded.tokens[cred.team] = new_token(session, user)
    return seeded

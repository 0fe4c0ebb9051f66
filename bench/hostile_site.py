"""The deployment ``bench/hostile.py`` attacks: a PostgreSQL database made for the run, Redis,
one gevent ``hackjudge serve`` and its workers, a seeded event; and what measures it: the
open-loop probe of the public board, a websocket viewer, and the processes' CPU and memory.

Imports nothing from ``tests/``: a bench stands on its own.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.security import new_token  # noqa: E402
from bench._support import HACKJUDGE, PG_URL, REDIS_URL, free_port  # noqa: E402
from core.db import Database, utcnow  # noqa: E402
from core.models import User  # noqa: E402
from migrations import upgrade  # noqa: E402
from organize.events import create_event  # noqa: E402
from organize.tasks import create_task  # noqa: E402
from organize.teams import import_teams  # noqa: E402


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (fields 14 and 15 of proc(5))."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_busy_s() -> float:
    """CPU seconds every process of the machine spent, all cores (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(v) for i, v in enumerate(fields) if i not in (3, 4))  # not idle, iowait
    return busy / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": statistics.median(ordered), "p99": q[98], "max": ordered[-1]}


def prediction(ids: pd.Series, target: np.ndarray, noise: float, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    pred = target + rng.normal(0, noise, len(target))
    return pd.DataFrame({"id": ids, "target": pred}).to_csv(index=False).encode()


class Deployment:
    """The database, the processes and the seeded event of one run."""

    def __init__(self, tmp: Path, teams: int, rows: int, workers: int) -> None:
        self.tmp, self.name = tmp, f"hackjudge_hostile_{os.getpid()}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.name}")
        self.db_url = PG_URL.rsplit("/", 1)[0] + "/" + self.name
        tag = secrets.token_hex(4)
        self.env = {
            **os.environ,
            "HACKJUDGE_DATABASE_URL": self.db_url,
            "HACKJUDGE_REDIS_URL": REDIS_URL,
            "HACKJUDGE_INSTANCE_DIR": str(tmp / "instance"),
            "HACKJUDGE_STORAGE_DIR": str(tmp / "storage"),
            "HACKJUDGE_QUEUE": f"hostile-{tag}",
            "HACKJUDGE_SOCKETIO_CHANNEL": f"hostile-{tag}",
            "HACKJUDGE_SECRET_KEY": "bench",
            "HACKJUDGE_HOURLY_UPLOAD_LIMIT": "1000000",
            "PYTHONUNBUFFERED": "1",
        }
        self.procs: list[subprocess.Popen] = []
        upgrade(self.db_url)
        self._seed(teams, rows)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = self._spawn(["serve", "--port", str(self.port)], "web")
        self.workers = [self._spawn(["worker"], f"worker{i}") for i in range(workers)]
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{self.url}/api/v1/openapi.json", timeout=2).ok:
                    break
            if time.monotonic() > deadline or self.server.poll() is not None:
                raise SystemExit(f"the server did not start: see {tmp / 'web.log'}")
            time.sleep(0.1)

    def _seed(self, teams: int, rows: int) -> None:
        rng = np.random.default_rng(0)
        self.truth = pd.DataFrame(
            {"id": [f"{i:06d}" for i in range(rows)], "target": rng.integers(0, 2, rows)}
        )
        self.truth.to_csv(self.tmp / "truth.csv", index=False)
        (self.tmp / "ids.txt").write_text("\n".join(self.truth["id"]))
        database = Database()
        database.configure(self.db_url)
        now = utcnow()
        with database.begin() as session:
            event = create_event(
                session,
                "hostile",
                "Hostile load",
                (now - timedelta(hours=1)).isoformat(),
                (now + timedelta(hours=6)).isoformat(),
            )
            task = create_task(
                session,
                event,
                "t1",
                metric="roc_auc",
                truth=self.tmp / "truth.csv",
                storage_dir=self.tmp / "storage",
                daily_limit=100_000,  # the most allowed; None would take the default (5)
            )
            self.event, self.task = event.slug, task.slug
            roster = pd.DataFrame(
                [(f"team{i:03d}", "campus", f"member{i}", f"m{i}@bench.kr") for i in range(teams)],
                columns=["team", "affiliation", "name", "email"],
            )
            self.tokens, self.emails = [], []
            for cred in import_teams(session, event, roster):
                user = session.query(User).filter_by(email=cred.email).one()
                self.tokens.append(new_token(session, user))
                self.emails.append(cred.email)
        assert database.engine is not None
        database.engine.dispose()

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("wb")
        popen = subprocess.Popen(
            [HACKJUDGE, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.procs.append(popen)
        return popen

    def upload(self, team: int, noise: float, seed: int) -> requests.Response:
        body = prediction(self.truth["id"], self.truth["target"].to_numpy(), noise, seed)
        return requests.post(
            f"{self.url}/api/v1/events/{self.event}/tasks/{self.task}/submissions",
            headers={"Authorization": f"Bearer {self.tokens[team]}"},
            files={"file": ("p.csv", body)},
            timeout=60,
        )

    def sql(self, query: str) -> list[tuple]:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return conn.execute(query).fetchall()

    def settle(self, timeout: float = 180) -> bool:
        """Wait until no submission is queued or being scored; whether that happened."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = self.sql("SELECT count(*) FROM submissions WHERE status IN ('queued','scoring')")
            if busy[0][0] == 0:
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        for popen in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, 15)
        for popen in self.procs:
            try:
                popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, 9)
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Probe:
    """GET the public board ``rate`` times a second, each from its scheduled moment."""

    def __init__(self, url: str, rate: float) -> None:
        self.url, self.rate = url, rate
        self.local = threading.local()

    def _get(self, scheduled: float) -> tuple[float, int]:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        try:
            status = session.get(self.url, timeout=60).status_code
        except requests.RequestException:
            status = 0
        return time.perf_counter() - scheduled, status

    def run(self, seconds: float) -> tuple[list[float], dict[str, int]]:
        start, count = time.perf_counter(), int(seconds * self.rate)
        with ThreadPoolExecutor(64) as pool:
            futures = []
            for k in range(count):
                scheduled = start + k / self.rate
                time.sleep(max(0.0, scheduled - time.perf_counter()))
                futures.append(pool.submit(self._get, scheduled))
            results = [f.result() for f in futures]
        statuses: dict[str, int] = {}
        for _latency, status in results:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        return [latency for latency, _ in results], statuses


class Viewer:
    """A websocket viewer of the public board: does a fresh score still reach it?"""

    def __init__(self, url: str, event: str) -> None:
        self.url, self.event = url, event
        self.boards: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("leaderboard", self.boards.put, namespace="/live")

    def push_after(self, deployment: Deployment, team: int, noise: float) -> float | str:
        """Seconds from a new score's upload to its board at the viewer, or what went wrong."""
        if not self.client.connected:
            self.client.connect(self.url, namespaces=["/live"], transports=["websocket"])
            self.client.call("subscribe", {"event": self.event}, namespace="/live", timeout=30)
        name = f"team{team:03d}"
        board = requests.get(f"{self.url}/api/v1/events/{self.event}/leaderboard", timeout=60)
        before = {r["team"]: r["score"] for r in board.json()["rows"]}.get(name)
        while not self.boards.empty():
            self.boards.get_nowait()
        t0 = time.perf_counter()
        reply = deployment.upload(team, noise, seed=int(noise * 1000))
        if reply.status_code != 202:
            return f"upload refused {reply.status_code}"
        deadline, boards = t0 + 20, 0
        while (left := deadline - time.perf_counter()) > 0:
            try:
                pushed = self.boards.get(timeout=left)
            except queue.Empty:
                break
            boards += 1
            if any(r["team"] == name and r["score"] != before for r in pushed["rows"]):
                return time.perf_counter() - t0
        status = deployment.sql("SELECT status FROM submissions ORDER BY id DESC LIMIT 1")[0][0]
        connected = "connected" if self.client.connected else "disconnected"
        return f"lost ({connected}, {boards} other boards, submission {status})"

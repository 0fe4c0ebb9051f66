"""Faults during a rush of uploads, with no human action (issue 12, SPEC §11 "outages").

Starts a production deployment of its own on this machine — a private PostgreSQL cluster
(initdb), a private redis-server, and ``hackjudge supervise`` running the web node and
``--workers`` workers — seeds an event with one task and ``--teams`` teams, then runs four
phases, each during a rush of ``--rate`` uploads a second:

- ``redis``: redis-server killed (SIGKILL, nothing saved) for ``--redis-down`` s, then started
  again empty on the same port;
- ``postgres``: PostgreSQL stopped (``pg_ctl -m fast``) for ``--pg-down`` s, then started;
- ``web``: the web node killed with SIGKILL (the supervisor starts it again);
- ``worker``: a worker killed with SIGKILL while it scores (the supervisor starts it again).

The clients behave as ``hackjudge submit`` does: each upload has an ``Idempotency-Key`` and
is retried with it (after ``Retry-After`` on 503/507, after 1 s on a connection error) until a
202. One upload in twenty misses an id, so the worker finds it ``invalid``. Per phase:

accepted (keys answered 202), scored / invalid / failed (their rows' final states), lost
(accepted but not final within ``--heal-timeout`` s of the fault's end, or no row), duplicated
(rows of one upload beyond the first: the same file content committed twice), the 503 and 500
answers seen, the processes the supervisor restarted, and the time to heal (from the fault's
end until every upload accepted in the phase is final).

    python bench/faults.py --teams 20 --rate 8 --workers 2

This script imports nothing from ``tests/``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.security import new_token  # noqa: E402
from core.db import Database  # noqa: E402
from core.models import User  # noqa: E402
from migrations import upgrade  # noqa: E402
from organize.events import create_event
from organize.tasks import create_task
from organize.teams import import_teams  # noqa: E402

FINAL = ("scored", "invalid", "failed")
HACKJUDGE = [sys.executable, "-m", "hackjudge_launch"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Any, timeout: float, what: str) -> float:
    """Poll ``check`` until true; the seconds it took (SystemExit on timeout)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if check():
                return time.monotonic() - start
        except Exception:  # a service still starting
            pass
        time.sleep(0.1)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


# --- private services --------------------------------------------------------------------


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        with socket.socket() as probe:
            wait_until(lambda: probe.connect_ex(("127.0.0.1", self.port)) == 0, 30, "redis")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # as a crash: nothing saved
            self.proc.wait(10)


class PrivatePostgres:
    def __init__(self, folder: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb")]
        if not found[-1]:
            raise SystemExit("bench/faults.py needs PostgreSQL's initdb and pg_ctl")
        self.bindir = Path(found[-1]).parent
        self.folder, self.port = folder, free_port()
        # initdb refuses root: the cluster then runs as the postgres system user.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(folder, "postgres")
        self.data = folder / "pg"
        self._ctl("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self.admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, tool: str, *args: str, check: bool = True) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / tool), *args], check=check, stdout=subprocess.DEVNULL
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "pg.log")
        self._ctl("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)


# --- the event -----------------------------------------------------------------------------


@dataclass
class Contest:
    event: str
    task: str
    truth: pd.DataFrame
    tokens: list[str]


def seed(url: str, storage: Path, tmp: Path, teams: int, rows: int) -> Contest:
    rng = np.random.default_rng(0)
    truth = pd.DataFrame({"id": [f"{i:06d}" for i in range(rows)]})
    truth["target"] = rng.integers(0, 2, rows)
    truth.to_csv(tmp / "truth.csv", index=False)
    now = datetime.now(UTC)
    database = Database()
    database.configure(url)
    tokens = []
    with database.begin() as session:
        event = create_event(
            session,
            "faults",
            "Fault trial",
            now.isoformat(),
            (now + timedelta(hours=3)).isoformat(),
        )
        create_task(
            session, event, "t1", metric="roc_auc", truth=tmp / "truth.csv",
            storage_dir=storage, daily_limit=100_000,  # None would mean the default, 5
        )  # fmt: skip
        roster = pd.DataFrame(
            [(f"team{i}", "bench", f"member{i}", f"m{i}@bench.kr") for i in range(teams)],
            columns=["team", "affiliation", "name", "email"],
        )
        for cred in import_teams(session, event, roster):
            user = session.query(User).filter_by(email=cred.email).one()
            tokens.append(new_token(session, user))
    assert database.engine is not None
    database.engine.dispose()
    return Contest("faults", "t1", truth, tokens)


def prediction(truth: pd.DataFrame, seed_no: int, invalid: bool) -> bytes:
    """A plausible, unique file (its noise is seeded by its number); ``invalid`` drops an id."""
    rng = np.random.default_rng(seed_no)
    score = truth["target"].to_numpy(float) + rng.normal(0, 0.6, len(truth))
    lines = [f"{i},{s:.6f}" for i, s in zip(truth["id"], score, strict=True)]
    if invalid:
        lines = lines[1:]
    return ("id,target\n" + "\n".join(lines) + "\n").encode()


# --- the clients ---------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients of one phase saw."""

    statuses: Counter[str] = field(default_factory=Counter)  # HTTP status or "conn" per try
    accepted: dict[str, str] = field(default_factory=dict)  # key -> the id answered
    first_try: dict[str, float] = field(default_factory=dict)  # key -> wall-clock time
    gave_up: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Rush:
    """``rate`` uploads a second, each retried with its key until a 202 (as the CLI does)."""

    def __init__(self, base: str, contest: Contest, rate: float, tally: Tally, first: int) -> None:
        self.base, self.contest, self.rate, self.tally = base, contest, rate, tally
        self.url = f"{base}/api/v1/events/{contest.event}/tasks/{contest.task}/submissions"
        self.jobs: queue.Queue[tuple[int, str] | None] = queue.Queue()
        self.counter = first
        self.stop_new = threading.Event()
        self.threads = [
            threading.Thread(target=self._client, args=(token,), daemon=True)
            for token in contest.tokens
        ]
        self.pacer = threading.Thread(target=self._pace, daemon=True)

    def start(self) -> Rush:
        for thread in self.threads:
            thread.start()
        self.pacer.start()
        return self

    def _pace(self) -> None:
        while not self.stop_new.is_set():
            self.jobs.put((self.counter, secrets.token_urlsafe(16)))
            self.counter += 1
            time.sleep(1 / self.rate)

    def _client(self, token: str) -> None:
        session = requests.Session()
        while (job := self.jobs.get()) is not None:
            number, key = job
            body = prediction(self.contest.truth, number, invalid=number % 20 == 0)
            self._upload(session, token, key, body)

    def _upload(self, session: requests.Session, token: str, key: str, body: bytes) -> None:
        with self.tally.lock:
            self.tally.first_try[key] = time.time()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                reply = session.post(
                    self.url,
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                    files={"file": ("p.csv", body, "text/csv")},
                    timeout=30,
                )
            except requests.RequestException:
                self._note("conn")
                session = requests.Session()
                time.sleep(1)
                continue
            self._note(str(reply.status_code))
            if reply.status_code == 202:
                with self.tally.lock:
                    self.tally.accepted[key] = reply.json()["id"]
                return
            time.sleep(float(reply.headers.get("Retry-After", 1)))
        with self.tally.lock:
            self.tally.gave_up += 1

    def _note(self, status: str) -> None:
        with self.tally.lock:
            self.tally.statuses[status] += 1

    def finish(self, timeout: float) -> None:
        """No new uploads; wait for the ones in flight to get their 202 (or give up)."""
        self.stop_new.set()
        self.pacer.join()
        for _ in self.threads:
            self.jobs.put(None)
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))


# --- the deployment ------------------------------------------------------------------------


def children(pid: int) -> dict[int, str]:
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in map(int, (task / "children").read_text().split()):
            try:
                found[child] = Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
            except FileNotFoundError:
                continue
    return found


def kind_of(pid: int, kind: str) -> list[int]:
    return [child for child, cmd in children(pid).items() if f"\0{kind}\0" in f"{cmd}\0"]


@dataclass(frozen=True)
class Row:
    status: str
    sha256: str
    finished: float | None  # wall-clock time


def rows_by_key(url: str, keys: list[str]) -> dict[str, Row]:
    """The rows those keys made."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        found = conn.execute(
            "SELECT idempotency_key, status, sha256, finished_at FROM submissions "
            "WHERE idempotency_key = ANY(%s)",
            (keys,),
        ).fetchall()
    return {k: Row(st, sha, end.timestamp() if end else None) for k, st, sha, end in found}


def committed_twice(url: str, shas: list[str]) -> int:
    """Rows beyond the first of one upload (each upload's file is unique): duplicates."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        extra = conn.execute(
            "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT count(*) AS n FROM submissions "
            "WHERE sha256 = ANY(%s) GROUP BY team_id, sha256) AS per_file",
            (shas,),
        ).fetchone()
    return int(extra[0]) if extra else 0


def restarts(log: Path) -> int:
    return log.read_text(errors="replace").count(" exited with ")


def run_phase(name: str, fault: Any, ctx: dict[str, Any], args: argparse.Namespace) -> dict:
    tally = Tally()
    before = restarts(ctx["supervise_log"])
    rush = Rush(ctx["base"], ctx["contest"], args.rate, tally, ctx["counter"]).start()
    time.sleep(args.lead)
    fault_end = fault()  # the moment the fault ended (wall clock, as the rows' times)
    time.sleep(args.tail)
    rush.finish(timeout=240)
    ctx["counter"] = rush.counter + 1
    keys = list(tally.accepted)

    def healed() -> bool:
        rows = rows_by_key(ctx["db_url"], keys)
        return len(rows) == len(keys) and all(r.status in FINAL for r in rows.values())

    try:
        wait_until(healed, args.heal_timeout, f"phase {name} to heal")
    except SystemExit as exc:
        print(exc, file=sys.stderr)
    rows = rows_by_key(ctx["db_url"], keys)
    heal = heal_time(rows, tally.first_try, fault_end)
    states = Counter(row.status for row in rows.values())
    twice = committed_twice(ctx["db_url"], [row.sha256 for row in rows.values()])
    return {
        "fault": name,
        "uploads": len(keys) + tally.gave_up,
        "accepted": len(keys),
        "scored": states["scored"],
        "invalid": states["invalid"],
        "failed": states["failed"],
        "lost": len(keys) - sum(states[s] for s in FINAL),
        "gave_up": tally.gave_up,
        "duplicated": twice,
        "503": tally.statuses["503"],
        "500": tally.statuses["500"],
        "other_errors": sum(n for s, n in tally.statuses.items() if s not in ("202", "503", "500")),
        "restarts": restarts(ctx["supervise_log"]) - before,
        "heal_s": round(heal, 1),
        "answers": dict(tally.statuses),
    }


def heal_time(rows: dict[str, Row], first_try: dict[str, float], fault_end: float) -> float:
    """Seconds from the fault's end until every upload tried before it, during it, and the
    first one after it, is final (the first one after a killed web node waits for the new
    node; a killed worker's job waits for the reconciler)."""
    before = [k for k in rows if first_try[k] <= fault_end]
    after = sorted((k for k in rows if first_try[k] > fault_end), key=first_try.__getitem__)
    finished = [rows[k].finished for k in before + after[:1]]
    if not finished or None in finished:
        return float("nan")
    return max(0.0, max(f for f in finished if f is not None) - fault_end)


def table(results: list[dict]) -> str:
    columns = [c for c in results[0] if c != "answers"]  # the answers go to --json only
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in results]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--teams", type=int, default=20, help="concurrent clients")
    parser.add_argument("--rate", type=float, default=8.0, help="new uploads per second")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the task")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-down", type=float, default=10.0)
    parser.add_argument("--pg-down", type=float, default=20.0)
    parser.add_argument("--lead", type=float, default=3.0, help="rush before each fault (s)")
    parser.add_argument("--tail", type=float, default=8.0, help="rush after each fault (s)")
    parser.add_argument("--heal-timeout", type=float, default=180.0)
    parser.add_argument("--json", type=Path, help="also write the table here")
    parser.add_argument(
        "--phases", default="redis,postgres,web,worker", help="which faults, in this order"
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs and data folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hackjudge-faults-"))
    redis = PrivateRedis(tmp)
    postgres = PrivatePostgres(tmp)
    supervisor: subprocess.Popen[bytes] | None = None
    try:
        redis.start()
        postgres.start()
        with psycopg.connect(postgres.admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE hackjudge")
        db_url = postgres.admin.rsplit("/", 1)[0] + "/hackjudge"
        upgrade(db_url)
        contest = seed(db_url, tmp / "storage", tmp, args.teams, args.rows)
        port = free_port()
        env = {
            **os.environ,
            "HACKJUDGE_DATABASE_URL": db_url,
            "HACKJUDGE_REDIS_URL": redis.url,
            "HACKJUDGE_INSTANCE_DIR": str(tmp / "instance"),
            "HACKJUDGE_STORAGE_DIR": str(tmp / "storage"),
            "HACKJUDGE_SECRET_KEY": "faults",
            "HACKJUDGE_HOURLY_UPLOAD_LIMIT": "1000000",
            "HACKJUDGE_RECONCILE_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
        }
        supervise_log = tmp / "supervise.log"
        with supervise_log.open("wb") as out:
            supervisor = subprocess.Popen(
                [*HACKJUDGE, "supervise", "--workers", str(args.workers), "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(f"{base}/api/v1/openapi.json", timeout=2).ok, 90, "web")
        sup = supervisor.pid
        wait_until(lambda: len(kind_of(sup, "worker")) == args.workers, 60, "the workers")
        ctx = {
            "base": base,
            "contest": contest,
            "db_url": db_url,
            "supervise_log": supervise_log,
            "counter": 1,
        }

        def redis_outage() -> float:
            redis.kill()
            time.sleep(args.redis_down)
            redis.start()  # empty: every queued job is gone
            return time.time()

        def postgres_outage() -> float:
            postgres.stop()
            time.sleep(args.pg_down)
            postgres.start()
            return time.time()

        def kill_web() -> float:
            os.kill(kind_of(sup, "serve")[0], signal.SIGKILL)
            return time.time()  # nobody restarts it but the supervisor

        def kill_busy_worker() -> float:
            def kill_one_scoring() -> bool:
                """SIGKILL a supervised worker the moment a row says it scores."""
                with psycopg.connect(db_url) as conn:
                    row = conn.execute(
                        "SELECT worker FROM submissions WHERE status = 'scoring' LIMIT 1"
                    ).fetchone()
                pid = int(row[0].rsplit(":", 1)[1]) if row else None
                if pid not in kind_of(sup, "worker"):
                    return False
                os.kill(pid, signal.SIGKILL)
                return True

            wait_until(kill_one_scoring, 30, "a worker busy scoring")
            return time.time()

        faults = {
            "redis": ("redis killed", redis_outage),
            "postgres": ("postgres stopped", postgres_outage),
            "web": ("web node killed", kill_web),
            "worker": ("worker killed", kill_busy_worker),
        }
        results = []
        for name, fault in (faults[p] for p in args.phases.split(",")):
            print(f"phase: {name} …", file=sys.stderr, flush=True)
            results.append(run_phase(name, fault, ctx, args))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        print(
            f"{args.teams} clients, {args.rate:g} uploads/s, {args.rows:,}-row task, "
            f"{args.workers} workers under `hackjudge supervise`; "
            f"Redis down {args.redis_down:g} s, PostgreSQL down {args.pg_down:g} s"
        )
        print(table(results))
        total_accepted = sum(r["accepted"] for r in results)
        total_final = sum(r["scored"] + r["invalid"] for r in results)
        print(
            f"accepted {total_accepted} = scored + invalid {total_final}; "
            f"lost {sum(r['lost'] for r in results)}; "
            f"duplicated {sum(r['duplicated'] for r in results)}; "
            f"500s {sum(r['500'] for r in results)}"
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        if supervisor is not None and supervisor.poll() is None:
            supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)
        redis.kill()
        postgres.stop("immediate")
        if args.keep:
            print(f"logs and data kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

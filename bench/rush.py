"""The deadline rush (SPEC §11, issue 14): hundreds of files in a minute, against a floor.

Each run starts a real deployment on this machine — ``--web-nodes`` ``hackjudge serve``
processes (production mode: gevent, PostgreSQL, Redis) and ``--workers`` ``hackjudge worker``
processes — and, before it and with the same load, the floor (``bench/rush_floor.py``: a
minimal Flask app on the same server stack that streams the file to disk, inserts one row and
enqueues an RQ job that reads the file and computes the metric). ``--teams`` teams upload
``--files`` distinct ``--rows``-row files, their arrivals spread at random over ``--seconds``;
one Socket.IO viewer watches the board.

Reported per system and run, then as medians over ``--runs``: HTTP 202 and upload → push
percentiles, the queue depth over time, CPU per upload of the web nodes, the workers and
PostgreSQL, lost and duplicated uploads, and the platform / floor ratios.

    python bench/rush.py                                  # 200 teams, 500 files, 60 s, 3 runs
    python bench/rush.py --files 1000 --workers 4         # the 2x rush
    python bench/rush.py --web-nodes 2 --runs 1 --json bench/results/rush-2web.json

Every team's successive files score strictly better (the same noise, a stronger signal), so the
first push that shows a team at or above a file's public score is the push of that file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import redis
import requests
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench._support import (  # noqa: E402
    PG_URL,
    REDIS_URL,
    Proc,
    free_port,
    production_env,
    seed_event,
    spawn,
    start_server,
    wait_for,
)
from core.db import Database  # noqa: E402
from migrations import upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
# Files sent, by teams of their own, before each system's clock starts (``warm_up``).
WARM_FILES = 8
SLOW_202_S = 0.25  # answers slower than this are listed with their moment


@dataclass
class Load:
    """What the teams send: ``files[j]`` by ``teams_of[j]`` at ``at[j]`` seconds."""

    at: list[float]
    teams_of: list[str]
    files: list[bytes]


def make_load(truth: pd.DataFrame, teams: list[str], files: int, seconds: float, seed: int) -> Load:
    """``files`` distinct files over ``teams``, arrivals uniform over ``seconds``; each team's
    later files score better than its earlier ones."""
    rng = np.random.default_rng(seed)
    owners = [teams[i % len(teams)] for i in range(files)]
    rng.shuffle(owners)
    at = sorted(float(t) for t in rng.uniform(0, seconds, files))
    target = truth["target"].to_numpy(dtype=float)
    noise = {team: rng.normal(0, 1, len(truth)) for team in teams}
    nth: dict[str, int] = {}
    bodies = []
    for team in owners:
        k = nth[team] = nth.get(team, 0) + 1
        signal = 0.25 * k + 0.01 * teams.index(team) / len(teams)
        pred = np.round(target * signal + noise[team], 6)
        bodies.append(
            pd.DataFrame({"id": truth["id"], "target": pred}).to_csv(index=False).encode()
        )
    return Load(at, owners, bodies)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(values)
    q = (
        statistics.quantiles(ordered, n=100, method="inclusive")
        if len(ordered) > 1
        else ordered * 99
    )
    return {"p50": statistics.median(ordered), "p90": q[89], "p99": q[98], "max": ordered[-1]}


def _cpu_of(pid: str) -> tuple[int, str, int] | None:
    """(process group, command, CPU ticks incl. reaped children) of one process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the command: state ppid pgrp session ... utime(11) stime(12) cutime(13) cstime(14)
    return int(fields[2]), comm, sum(int(f) for f in fields[11:15])


def _serves(pid: str, database: str) -> bool:
    """Is this PostgreSQL process a backend (or autovacuum worker) of ``database``? Its
    title says: ``postgres: USER DATABASE HOST(PORT) STATE``, ``postgres: autovacuum worker
    DATABASE``."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return False
    return database in title.split()


def cpu_seconds(groups: dict[str, list[int]], database: str | None = None) -> dict[str, float]:
    """CPU seconds so far of each named list of process groups, and of PostgreSQL: all its
    processes (``postgres``), and the backends of ``database`` alone (``postgres_db``: on a
    machine shared with other work, the server's other databases are not this system's)."""
    totals = {name: 0 for name in groups} | {"postgres": 0, "postgres_db": 0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        found = _cpu_of(pid)
        if found is None:
            continue
        pgrp, comm, ticks = found
        if comm.startswith("postgres") or comm.startswith("postmaster"):
            totals["postgres"] += ticks
            if database is not None and _serves(pid, database):
                totals["postgres_db"] += ticks
        for name, pgids in groups.items():
            if pgrp in pgids:
                totals[name] += ticks
    return {name: ticks / TICK for name, ticks in totals.items()}


@dataclass
class System:
    """One system under load: how to start it, send a file and see its pushes."""

    name: str
    web: list[Proc]
    workers: list[Proc]
    queue_key: str
    send: Callable[[requests.Session, int, int], requests.Response]
    finished: Callable[[], int]
    pushes: list[tuple[float, Any]] = field(default_factory=list)
    # Nothing left over from the warm-up (the platform's deferred intervals).
    quiet: Callable[[], bool] = lambda: True


def warm_up(system: System, warm: Load) -> None:
    """A few files from teams outside the load, scored before the clock starts: both systems
    run warm (libraries loaded, the truth cached, statements prepared), as in an event."""
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(
                lambda j: system.send(requests.Session(), j, j % len(system.web)),
                range(len(warm.files)),
            )
        )
    assert all(r.status_code == 202 for r in replies), [r.text[:200] for r in replies]
    wait_for(lambda: system.finished() >= len(warm.files) and system.quiet(), 120, "the warm-up")


def drive(
    system: System,
    load: Load,
    redis_conn: redis.Redis,
    drain_s: float,
    database: str | None = None,
) -> dict[str, Any]:
    """Send the load on schedule; wait until every accepted file is finished (``database``:
    the system's, whose backends' CPU is counted apart)."""
    before = system.finished()
    sessions = threading.local()
    sent = [0.0] * len(load.files)
    took: list[float | None] = [None] * len(load.files)
    replies: list[Any] = [None] * len(load.files)
    depth: list[tuple[float, int]] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            with contextlib.suppress(redis.RedisError):
                depth.append((time.perf_counter(), int(redis_conn.llen(system.queue_key))))
            sampling.wait(0.25)

    def send(j: int) -> None:
        session = getattr(sessions, "s", None) or requests.Session()
        sessions.s = session
        t0 = time.perf_counter()
        sent[j] = t0
        try:
            reply = system.send(session, j, j % len(system.web))
        except requests.RequestException as exc:
            replies[j] = f"error {exc}"
            return
        took[j] = time.perf_counter() - t0
        replies[j] = (
            reply.json() if reply.status_code == 202 else f"{reply.status_code} {reply.text[:200]}"
        )

    groups = {
        "web": [p.popen.pid for p in system.web],
        "workers": [p.popen.pid for p in system.workers],
    }
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = cpu_seconds(groups, database)
    start = time.perf_counter()
    started_utc = datetime.now(UTC).isoformat(timespec="milliseconds")
    with ThreadPoolExecutor(48) as pool:
        for j, at in enumerate(load.at):
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, j)
    accepted = [j for j, r in enumerate(replies) if isinstance(r, dict)]
    deadline = time.monotonic() + drain_s
    while system.finished() - before < len(accepted) and time.monotonic() < deadline:
        time.sleep(0.1)
    ended = time.perf_counter()
    time.sleep(1.0)  # the last coalesced pushes
    cpu_after = cpu_seconds(groups, database)
    sampling.set()
    sampler.join()
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    per_5s: dict[int, int] = {}
    for moment, n in depth:
        slot = int((moment - start) // 5) * 5
        per_5s[slot] = max(per_5s.get(slot, 0), n)
    return {
        "sent": sent,
        "took": took,
        "replies": replies,
        "accepted": accepted,
        "refused": [r for r in replies if not isinstance(r, dict)][:5],
        "finished": system.finished() - before,
        # Messages the viewer got from the clock's start to the end of the drain (the platform's
        # boards; the floor's one small message a score): what each web node relays.
        "boards_pushed": sum(1 for moment, _ in system.pushes if moment >= start),
        "drain_s": ended - start,
        "start": start,
        "started_utc": started_utc,
        "cpu_s": cpu,
        "queue_max": max((n for _, n in depth), default=0),
        "queue_per_5s": per_5s,
    }


def viewer(url: str, namespace: str, subscribe: dict | None, sink: list) -> socketio.Client:
    """A websocket viewer that timestamps every ``leaderboard`` push."""
    client = socketio.Client(reconnection=False)
    client.on(
        "leaderboard",
        lambda data: sink.append((time.perf_counter(), data)),
        namespace=namespace,
    )
    client.connect(url, namespaces=[namespace], transports=["websocket"])
    if subscribe is not None:
        client.call("subscribe", subscribe, namespace=namespace, timeout=10)
    return client


def summarise(
    name: str, driven: dict[str, Any], latencies: list[float], uploads: int, stored: int
) -> dict[str, Any]:
    accepted = len(driven["accepted"])
    per_upload = {k: v / max(1, accepted) * 1000 for k, v in driven["cpu_s"].items()}
    return {
        "system": name,
        "uploads": uploads,
        "accepted": accepted,
        "finished": driven["finished"],
        "stored": stored,
        "lost": accepted - min(accepted, driven["finished"]),
        "duplicated": max(0, stored - accepted),
        "pushed": len(latencies),
        "http_202_ms": {
            k: v * 1000
            for k, v in percentiles([t for t in driven["took"] if t is not None]).items()
        },
        "push_ms": {k: v * 1000 for k, v in percentiles(latencies).items()},
        # When the slow answers were sent (s after the clock started) and took (ms): a stall
        # of the whole machine shows as one cluster, to set beside PostgreSQL's log.
        "slow_202": [
            (round(driven["sent"][j] - driven["start"], 2), round(t * 1000))
            for j, t in enumerate(driven["took"])
            if t is not None and t > SLOW_202_S and isinstance(driven["replies"][j], dict)
        ],
        "started_utc": driven["started_utc"],
        "cpu_ms_per_upload": per_upload,
        "queue_max": driven["queue_max"],
        "queue_per_5s": driven["queue_per_5s"],
        "boards_pushed": driven["boards_pushed"],
        "drain_s": driven["drain_s"],
        "refused": driven["refused"],
    }


def run_floor(
    warm: Load,
    args: argparse.Namespace,
    db_url: str,
    tmp: Path,
    truth_path: Path,
    load: Load,
    redis_conn: redis.Redis,
    tag: str,
) -> dict[str, Any]:
    """The floor under the load."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        from bench.rush_floor import SCHEMA

        conn.execute(SCHEMA)
    env = {
        "FLOOR_DATABASE_URL": db_url,
        "FLOOR_REDIS_URL": REDIS_URL,
        "FLOOR_QUEUE": f"floor-{tag}",
        "FLOOR_CHANNEL": f"floor-{tag}",
        "FLOOR_STORAGE": str(tmp / "floor"),
        "FLOOR_TRUTH": str(truth_path),
        "PYTHONPATH": str(ROOT),
    }
    python = sys.executable
    rq = str(Path(python).with_name("rq"))
    web, workers = [], []
    try:
        for i in range(args.web_nodes):
            port = free_port()
            proc = _spawn_raw(
                [python, str(ROOT / "bench/rush_floor.py"), str(port)],
                env,
                tmp / f"floor-web{i}.log",
            )
            proc.url = f"http://127.0.0.1:{port}"
            web.append(proc)
            wait_for(
                lambda p=proc: _answers(p.url + "/socket.io/?EIO=4&transport=polling"),
                60,
                "the floor to answer",
            )
        for i in range(args.workers):
            workers.append(
                _spawn_raw(
                    [
                        rq,
                        "worker",
                        "--url",
                        REDIS_URL,
                        "-w",
                        "rq.worker.SimpleWorker",
                        "--quiet",
                        f"floor-{tag}",
                    ],
                    env,
                    tmp / f"floor-worker{i}.log",
                )
            )
        from rq import Queue

        warming = Queue(f"floor-{tag}", connection=redis_conn)
        jobs = [warming.enqueue("bench.rush_floor.warm") for _ in range(args.workers)]
        wait_for(
            lambda: all(job.get_status(refresh=True) == "finished" for job in jobs),
            120,
            "the floor's workers to warm up",
        )
        pushes: list[tuple[float, Any]] = []
        client = viewer(web[0].url, "/", None, pushes)

        def sender(of: Load) -> Callable[[requests.Session, int, int], requests.Response]:
            def send(session: requests.Session, j: int, node: int) -> requests.Response:
                return session.post(
                    web[node].url + "/upload",
                    data={"team": of.teams_of[j]},
                    files={"file": ("p.csv", of.files[j], "text/csv")},
                    timeout=60,
                )

            return send

        def finished() -> int:
            with psycopg.connect(db_url) as conn:
                return conn.execute(
                    "SELECT count(*) FROM floor_uploads WHERE status = 'scored'"
                ).fetchone()[0]

        queue = f"rq:queue:floor-{tag}"
        warm_up(System("floor", web, workers, queue, sender(warm), finished), warm)
        system = System("floor", web, workers, queue, sender(load), finished, pushes)
        driven = drive(system, load, redis_conn, args.drain, db_url.rsplit("/", 1)[1])
        client.disconnect()
        first: dict[int, float] = {}
        for moment, data in pushes:
            first.setdefault(int(data["id"]), moment)
        latencies = [
            first[r["id"]] - driven["sent"][j]
            for j, r in enumerate(driven["replies"])
            if isinstance(r, dict) and r["id"] in first
        ]
        with psycopg.connect(db_url) as conn:
            stored = conn.execute("SELECT count(*) FROM floor_uploads").fetchone()[0]
        stored -= len(warm.files)
        return summarise("floor", driven, latencies, len(load.files), stored)
    finally:
        for proc in web + workers:
            proc.stop()


def run_platform(
    warm: Load,
    args: argparse.Namespace,
    db_url: str,
    tmp: Path,
    contest: Any,
    load: Load,
    redis_conn: redis.Redis,
    tag: str,
) -> dict[str, Any]:
    """hackjudge under the load."""
    env = production_env(db_url, tmp, f"rush-{tag}")
    web: list[Proc] = []
    workers: list[Proc] = []
    try:
        for i in range(args.web_nodes):
            web.append(start_server(env, tmp / f"web{i}.log", free_port()))
        workers = [spawn(["worker"], env, tmp / f"worker{i}.log") for i in range(args.workers)]
        pushes: list[tuple[float, Any]] = []
        client = viewer(web[0].url, "/live", {"event": contest.event}, pushes)
        path = f"/api/v1/events/{contest.event}/tasks/{contest.task}/submissions"

        def sender(of: Load) -> Callable[[requests.Session, int, int], requests.Response]:
            def send(session: requests.Session, j: int, node: int) -> requests.Response:
                token = contest.tokens[of.teams_of[j]]
                return session.post(
                    web[node].url + path,
                    headers={"Authorization": f"Bearer {token}"},
                    files={"file": ("p.csv", of.files[j], "text/csv")},
                    timeout=60,
                )

            return send

        def quiet() -> bool:
            with psycopg.connect(db_url) as conn:
                return not conn.execute(
                    "SELECT count(*) FROM submissions WHERE status = 'scored' "
                    "AND public_ci_low IS NULL"
                ).fetchone()[0]

        def finished() -> int:
            with psycopg.connect(db_url) as conn:
                return conn.execute(
                    "SELECT count(*) FROM submissions WHERE status IN ('scored', 'invalid', "
                    "'failed')"
                ).fetchone()[0]

        queue = f"rq:queue:rush-{tag}"
        warm_up(System("hackjudge", web, workers, queue, sender(warm), finished, quiet=quiet), warm)
        system = System("hackjudge", web, workers, queue, sender(load), finished, pushes)
        driven = drive(system, load, redis_conn, args.drain, db_url.rsplit("/", 1)[1])
        client.disconnect()
        intervals_s, intervals_left = intervals_done(db_url, driven["start"], args.drain)
        with psycopg.connect(db_url) as conn:
            scores = dict(conn.execute("SELECT sha256, public_score FROM submissions").fetchall())
            stored = len(scores) - len(warm.files)
        # A file's push: the first public board at or after its upload that shows its team at
        # or above its public score (each team's files score better one after another).
        boards = [
            (t, {row["team"]: row["score"] for row in d["rows"]})
            for t, d in pushes
            if d.get("board") == "public" and d.get("task") == contest.task
        ]
        latencies = []
        for j, reply in enumerate(driven["replies"]):
            if not isinstance(reply, dict):
                continue
            wanted = scores.get(reply["sha256"])
            team = load.teams_of[j]
            if wanted is None:
                continue
            for moment, rows in boards:
                shown = rows.get(team)
                if moment >= driven["sent"][j] and shown is not None and shown >= wanted - 1e-9:
                    latencies.append(moment - driven["sent"][j])
                    break
        summary = summarise("hackjudge", driven, latencies, len(load.files), stored)
        summary["intervals_done_s"], summary["intervals_left"] = intervals_s, intervals_left
        return summary
    finally:
        for proc in web + workers:
            proc.stop()


def intervals_done(db_url: str, start: float, most_s: float) -> tuple[float, int]:
    """When every scored file had its bootstrap interval (seconds since the rush began; the
    workers compute them once the scoring queue is quiet), and how many had none by then."""
    deadline = time.monotonic() + most_s
    while True:
        with psycopg.connect(db_url) as conn:
            left = conn.execute(
                "SELECT count(*) FROM submissions WHERE status = 'scored' AND public_ci_low IS NULL"
            ).fetchone()[0]
        if left == 0 or time.monotonic() > deadline:
            return time.perf_counter() - start, left
        time.sleep(0.2)


def _spawn_raw(argv: list[str], env: dict[str, str], log: Path) -> Proc:
    import subprocess

    handle = log.open("wb")
    popen = subprocess.Popen(
        argv,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=ROOT,
    )
    return Proc(popen, log)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code < 500
    except requests.ConnectionError:
        return False


def report(runs: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Medians over the runs of each figure, and the platform / floor ratios."""

    def median(system: str, *keys: str) -> float:
        values = []
        for run in runs:
            value: Any = run[system]
            for key in keys:
                value = value[key]
            values.append(value)
        return statistics.median(values)

    out: dict[str, Any] = {}
    for system in ("floor", "hackjudge"):
        out[system] = {
            "http_202_p50_ms": median(system, "http_202_ms", "p50"),
            "http_202_p99_ms": median(system, "http_202_ms", "p99"),
            "push_p50_ms": median(system, "push_ms", "p50"),
            "push_p99_ms": median(system, "push_ms", "p99"),
            "web_cpu_ms": median(system, "cpu_ms_per_upload", "web"),
            "worker_cpu_ms": median(system, "cpu_ms_per_upload", "workers"),
            "postgres_cpu_ms": median(system, "cpu_ms_per_upload", "postgres"),
            "postgres_db_cpu_ms": median(system, "cpu_ms_per_upload", "postgres_db"),
            "queue_max": median(system, "queue_max"),
            "lost": max(run[system]["lost"] for run in runs),
            "duplicated": max(run[system]["duplicated"] for run in runs),
        }
    floor, ours = out["floor"], out["hackjudge"]
    out["ratios"] = {
        key: ours[key] / floor[key] if floor[key] else float("inf")
        for key in (
            "http_202_p99_ms",
            "push_p50_ms",
            "push_p99_ms",
            "web_cpu_ms",
            "postgres_cpu_ms",
            "postgres_db_cpu_ms",
        )
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web-nodes", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drain", type=float, default=300, help="most seconds to finish")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hackjudge-rush-"))
    template = f"hackjudge_rush_{os.getpid()}"
    base = PG_URL.rsplit("/", 1)[0]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {template}")
    redis_conn = redis.Redis.from_url(REDIS_URL)
    names = [template]
    runs = []
    try:
        upgrade(f"{base}/{template}")
        database = Database()
        database.configure(f"{base}/{template}")
        contest = seed_event(
            database,
            tmp / "storage",
            tmp,
            teams=args.teams + WARM_FILES,
            rows=args.rows,
            daily_limit=100_000,
        )
        database.engine.dispose()
        teams = list(contest.tokens)
        load = make_load(contest.truth, teams[: args.teams], args.files, args.seconds, seed=1)
        warm = make_load(contest.truth, teams[args.teams :], WARM_FILES, 0.0, seed=2)
        print(
            f"{args.files} files of {args.rows:,} rows ({len(load.files[0]) / 1e6:.2f} MB) from "
            f"{args.teams} teams over {args.seconds:.0f} s; {args.web_nodes} web node(s), "
            f"{args.workers} workers",
            flush=True,
        )
        for run in range(args.runs):
            results = {}
            for system in ("floor", "hackjudge"):
                name = f"{template}_{run}_{system}"
                with psycopg.connect(PG_URL, autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
                names.append(name)
                tag = f"{os.getpid()}-{run}-{system}"
                if system == "floor":
                    results[system] = run_floor(
                        warm, args, f"{base}/{name}", tmp, contest.truth_path, load, redis_conn, tag
                    )
                else:
                    results[system] = run_platform(
                        warm, args, f"{base}/{name}", tmp, contest, load, redis_conn, tag
                    )
                show(run, results[system])
            runs.append(results)
        summary = report(runs)
        print(json.dumps(summary, indent=2))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "args": vars(args) | {"json": str(args.json)},
                        "runs": runs,
                        "summary": summary,
                    },
                    indent=2,
                    default=str,
                )
            )
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for name in reversed(names):
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def show(run: int, result: dict[str, Any]) -> None:
    h, p, cpu = result["http_202_ms"], result["push_ms"], result["cpu_ms_per_upload"]
    print(
        f"run {run + 1} {result['system']:>9}: 202 p50 {h['p50']:6.1f} p99 {h['p99']:7.1f} ms | "
        f"push p50 {p['p50']:7.1f} p99 {p['p99']:7.1f} ms "
        f"({result['pushed']}/{result['accepted']}) | cpu/upload web {cpu['web']:5.1f} "
        f"workers {cpu['workers']:5.1f} pg {cpu['postgres']:5.1f} "
        f"(its db {cpu['postgres_db']:4.1f}) ms | "
        f"queue max {result['queue_max']} | lost {result['lost']} dup {result['duplicated']} | "
        f"boards pushed {result['boards_pushed']}"
        + (f" | refused {result['refused']}" if result["refused"] else "")
        + (
            f" | intervals done at {result['intervals_done_s']:.0f} s"
            f" ({result['intervals_left']} left)"
            if "intervals_done_s" in result
            else ""
        ),
        flush=True,
    )
    depth = result["queue_per_5s"]
    print("    queue max per 5 s: " + " ".join(f"{depth[t]}" for t in sorted(depth)), flush=True)
    if result["slow_202"]:
        shown = ", ".join(f"{ms} ms at {at} s" for at, ms in result["slow_202"][:12])
        began = result["started_utc"]
        print(f"    202s over {SLOW_202_S * 1000:.0f} ms (clock from {began}): {shown}")


if __name__ == "__main__":
    main()

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

Several worker counts (``--workers 2,4``), or several web node counts (``--web-nodes 1,2``),
run each system in each layout in every run, so the layouts are compared on the same machine at
the same hour, the floor's as well as ours, run by run.
``--db-rtt-ms`` puts the workers' PostgreSQL (both systems') across a link of that round trip
(``bench/delay_link.py``): a file's scoring then waits on I/O, as with a database on another
host, and a bigger pool has waits to overlap. The web nodes reach PostgreSQL directly.

    python bench/rush.py                                  # 200 teams, 500 files, 60 s, 3 runs
    python bench/rush.py --files 1000 --workers 4         # the 2x rush
    python bench/rush.py --web-nodes 1,2 --json bench/results/rush-2web.json  # 2 nodes against 1
    python bench/rush.py --workers 2,4 --db-rtt-ms 20     # I/O-bound files: 2 against 4 workers

Every team's successive files score strictly better (the same noise, a stronger signal), so the
first push that shows a team at or above a file's public score is the push of that file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench._rush_figures import label, report, show, summarise  # noqa: E402
from bench._rush_load import Load, System, drive, make_load, viewer, warm_up  # noqa: E402
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
from config import worker_nice  # noqa: E402
from core.db import Database  # noqa: E402
from migrations import upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Files sent, by teams of their own, before each system's clock starts (``warm_up``).
WARM_FILES = 8


@dataclass(frozen=True)
class Layout:
    """One system's processes: its web nodes, its workers, and the port of the delay link the
    workers reach PostgreSQL through (``bench/delay_link.py``: a database on another host), or
    None: directly."""

    web_nodes: int
    workers: int
    link_port: int | None = None

    def name(self, compared: list[Layout]) -> str:
        """Its name in the results (``bench._rush_figures.label``): what tells it from the
        other layouts ``compared``, if any."""
        if len(compared) == 1:
            return ""
        if len({layout.workers for layout in compared}) > 1:
            return f"{self.workers}w"
        return f"{self.web_nodes}n"

    def database(self, db_url: str) -> str:
        """``db_url`` as the workers reach it."""
        if self.link_port is None:
            return db_url
        parts = urlsplit(db_url)
        userinfo, at, _ = parts.netloc.rpartition("@")
        return urlunsplit(parts._replace(netloc=f"{userinfo}{at}127.0.0.1:{self.link_port}"))


def run_floor(
    warm: Load,
    args: argparse.Namespace,
    layout: Layout,
    db_url: str,
    tmp: Path,
    contest: Any,
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
        "FLOOR_TRUTH": str(contest.truth_path),
        "PYTHONPATH": str(ROOT),
    }
    python = sys.executable
    rq = str(Path(python).with_name("rq"))
    linked = {**env, "FLOOR_DATABASE_URL": layout.database(db_url)}
    web, workers = [], []
    try:
        for i in range(layout.web_nodes):
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
        for i in range(layout.workers):
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
                    linked,
                    tmp / f"floor-worker{i}.log",
                    # The priority hackjudge's workers take (config.worker_nice): the floor's
                    # web node goes first as ours does.
                    nice=worker_nice(),
                )
            )
        from rq import Queue

        warming = Queue(f"floor-{tag}", connection=redis_conn)
        jobs = [warming.enqueue("bench.rush_floor.warm") for _ in range(layout.workers)]
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
    layout: Layout,
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
        for i in range(layout.web_nodes):
            web.append(start_server(env, tmp / f"web{i}.log", free_port()))
        linked = {**env, "HACKJUDGE_DATABASE_URL": layout.database(db_url)}
        workers = [spawn(["worker"], linked, tmp / f"worker{i}.log") for i in range(layout.workers)]
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


def _spawn_raw(argv: list[str], env: dict[str, str], log: Path, nice: int = 0) -> Proc:
    """``argv`` in a process group of its own, ``nice`` below this process's priority."""
    import subprocess

    handle = log.open("wb")
    popen = subprocess.Popen(
        ["nice", "-n", str(nice), *argv] if nice else argv,  # nice execs: the same process
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


def start_link(tmp: Path, rtt_ms: float) -> tuple[Proc, int, float]:
    """The delay link in front of PostgreSQL (``bench/delay_link.py``), its port, and the
    round trip measured through it (ms: ``rtt_ms`` and the link's own ~2 ms on this machine)."""
    port = free_port()
    upstream = urlsplit(PG_URL)
    link = _spawn_raw(
        [
            sys.executable,
            str(ROOT / "bench/delay_link.py"),
            str(port),
            upstream.hostname or "127.0.0.1",
            str(upstream.port or 5432),
            str(rtt_ms / 2),
        ],
        {},
        tmp / "delay-link.log",
    )
    try:
        wait_for(lambda: "ready" in link.output(), 30, "the delay link")
        with psycopg.connect(Layout(0, 0, port).database(PG_URL), autocommit=True) as conn:
            began = time.perf_counter()
            for _ in range(20):
                conn.execute("SELECT 1").fetchone()
            measured = (time.perf_counter() - began) / 20 * 1000
    except BaseException:
        link.stop()
        raise
    return link, port, measured


def counts_list(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1 or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError("distinct counts, each at least 1: 2 or 2,4")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--workers",
        type=counts_list,
        default=[2],
        help="workers of each system; several (2,4) compares the pools in each run",
    )
    parser.add_argument(
        "--web-nodes",
        type=counts_list,
        default=[1],
        help="web nodes of each system; several (1,2) compares them in each run",
    )
    parser.add_argument(
        "--db-rtt-ms",
        type=float,
        default=0.0,
        help="the workers reach PostgreSQL across a link of this round trip (I/O-bound files)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drain", type=float, default=300, help="most seconds to finish")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if len(args.workers) > 1 and len(args.web_nodes) > 1:
        parser.error("compare several worker counts or several web node counts, not both")

    tmp = Path(tempfile.mkdtemp(prefix="hackjudge-rush-"))
    template = f"hackjudge_rush_{os.getpid()}"
    base = PG_URL.rsplit("/", 1)[0]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {template}")
    redis_conn = redis.Redis.from_url(REDIS_URL)
    names = [template]
    runs = []
    link: Proc | None = None
    try:
        layouts = [Layout(n, w) for n in args.web_nodes for w in args.workers]
        measured_rtt = None
        if args.db_rtt_ms > 0:
            link, port, measured_rtt = start_link(tmp, args.db_rtt_ms)
            layouts = [Layout(n, w, port) for n in args.web_nodes for w in args.workers]
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
            f"{args.teams} teams over {args.seconds:.0f} s; web nodes "
            f"{' then '.join(str(n) for n in args.web_nodes)}, "
            f"workers {' then '.join(str(n) for n in args.workers)}"
            + (
                f"; the workers' PostgreSQL across a {args.db_rtt_ms:g} ms link "
                f"(a round trip through it: {measured_rtt:.1f} ms)"
                if measured_rtt is not None
                else ""
            ),
            flush=True,
        )
        names_of = {layout: layout.name(layouts) for layout in layouts}
        for run in range(args.runs):
            results = {}
            # Every other run takes the layouts the other way round: the machine's speed drifts
            # over a run's few minutes, and neither layout should always meet the later part.
            for layout in layouts if run % 2 == 0 else layouts[::-1]:
                for system in ("floor", "hackjudge"):
                    name_in_results = label(system, names_of[layout])
                    shape = f"{layout.web_nodes}n_{layout.workers}w"
                    name = f"{template}_{run}_{system}_{shape}"
                    with psycopg.connect(PG_URL, autocommit=True) as conn:
                        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
                    names.append(name)
                    tag = f"{os.getpid()}-{run}-{system}-{shape}"
                    run_system = run_floor if system == "floor" else run_platform
                    results[name_in_results] = run_system(
                        warm, args, layout, f"{base}/{name}", tmp, contest, load, redis_conn, tag
                    )
                    results[name_in_results] |= {
                        "system": name_in_results,
                        "workers": layout.workers,
                        "web_nodes": layout.web_nodes,
                    }
                    show(run, results[name_in_results])
            in_order = [
                label(system, names_of[layout])
                for layout in layouts
                for system in ("floor", "hackjudge")
            ]
            runs.append({name: results[name] for name in in_order})
        summary = report(runs, [names_of[layout] for layout in layouts])
        print(json.dumps(summary, indent=2))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "args": vars(args) | {"json": str(args.json)},
                        "db_rtt_measured_ms": measured_rtt,
                        # Connections the link carried: the workers' and the RTT's measure.
                        "link_connections": (
                            link.output().count("carried") if link is not None else 0
                        ),
                        "runs": runs,
                        "summary": summary,
                    },
                    indent=2,
                    default=str,
                )
            )
    finally:
        if link is not None:
            link.stop()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for name in reversed(names):
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()

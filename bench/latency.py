"""Upload → ``leaderboard`` event latency in production mode (SPEC §11).

Starts a real deployment on this machine — PostgreSQL, Redis, one ``hackjudge serve`` and
``--workers`` ``hackjudge worker`` processes — with a task of ``--rows`` rows and one team per
upload, so every scored upload changes the public board. A python-socketio client subscribed
to ``/live`` timestamps each ``leaderboard`` event that first shows a team.

Reported beside the end-to-end figures, measured in the same run: the HTTP 202 time alone and
the floor of the scoring step, ``judge.scoring.score`` on the same file in this process
(without the bootstrap CI, which the job computes after publishing).

    python bench/latency.py --rows 10000 --uploads 40 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (  # noqa: E402
    PG_URL,
    free_port,
    percentiles,
    prediction_csv,
    production_env,
    seed_event,
    spawn,
    start_server,
)
from core.db import Database  # noqa: E402
from judge.scoring import score  # noqa: E402
from judge.truth import load_solution  # noqa: E402
from migrations import upgrade  # noqa: E402


def fmt(stats: dict[str, float]) -> str:
    return "  ".join(f"{k} {v * 1000:7.1f} ms" for k, v in stats.items())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1, help="parallel uploaders")
    parser.add_argument(
        "--push-interval-ms",
        type=float,
        default=250,
        help="board push coalescing interval (HACKJUDGE_PUSH_INTERVAL_MS)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hackjudge-bench-"))
    name = f"hackjudge_bench_{os.getpid()}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db_url = PG_URL.rsplit("/", 1)[0] + "/" + name
    tag = secrets.token_hex(4)
    env = {
        **production_env(db_url, tmp, f"bench-{tag}"),
        "HACKJUDGE_PUSH_INTERVAL_MS": str(args.push_interval_ms),
    }
    procs = []
    try:
        upgrade(db_url)
        database = Database()
        database.configure(db_url)
        contest = seed_event(database, tmp / "storage", tmp, teams=args.uploads, rows=args.rows)
        database.engine.dispose()
        server = start_server(env, tmp / "web.log", free_port())
        procs.append(server)
        procs += [spawn(["worker"], env, tmp / f"worker{i}.log") for i in range(args.workers)]

        files = {
            team: prediction_csv(contest.truth, 0.3 + 0.01 * i, i)
            for i, team in enumerate(contest.tokens)
        }
        solution = load_solution(contest.truth_path, "id", "target", contest.metric)
        floor = []
        for body in list(files.values())[:10]:
            t0 = time.perf_counter()
            score(solution, body, "p.csv", with_ci=False)
            floor.append(time.perf_counter() - t0)

        seen: dict[str, float] = {}
        lock = threading.Lock()
        everyone = threading.Event()

        def on_board(data: dict) -> None:
            now = time.perf_counter()
            with lock:
                for row in data["rows"]:
                    seen.setdefault(row["team"], now)
                if len(seen) == len(files):
                    everyone.set()

        client = socketio.Client(reconnection=False)
        client.on("leaderboard", on_board, namespace="/live")
        client.connect(server.url, namespaces=["/live"], transports=["websocket"])
        client.call("subscribe", {"event": contest.event}, namespace="/live", timeout=10)
        # Let the workers register before the clock starts.
        time.sleep(2)

        sent: dict[str, float] = {}
        accepted: list[float] = []
        session = requests.Session()

        def send(team: str) -> None:
            t0 = time.perf_counter()
            sent[team] = t0
            reply = session.post(
                f"{server.url}/api/v1/events/{contest.event}/tasks/{contest.task}/submissions",
                headers={"Authorization": f"Bearer {contest.tokens[team]}"},
                files={"file": ("p.csv", files[team], "text/csv")},
                timeout=60,
            )
            accepted.append(time.perf_counter() - t0)
            if reply.status_code != 202:
                raise SystemExit(f"upload refused: {reply.status_code} {reply.text}")

        with ThreadPoolExecutor(args.concurrency) as pool:
            for team in files:
                if args.concurrency == 1:
                    send(team)
                    # Sequential: wait for this one's event so uploads do not queue up.
                    deadline = time.monotonic() + 60
                    while team not in seen and time.monotonic() < deadline:
                        time.sleep(0.001)
                else:
                    pool.submit(send, team)
        if not everyone.wait(120):
            raise SystemExit(f"only {len(seen)} of {len(files)} teams reached the board")
        client.disconnect()
        e2e = [seen[t] - sent[t] for t in files]
        result = {
            "rows": args.rows,
            "uploads": args.uploads,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "file_bytes": len(next(iter(files.values()))),
            "upload_to_leaderboard_s": percentiles(e2e),
            "http_202_s": percentiles(accepted),
            "scoring_floor_in_process_s": percentiles(floor),
        }
        print(
            f"{args.uploads} uploads of {args.rows:,} rows "
            f"({result['file_bytes'] / 1e6:.2f} MB), {args.workers} workers, "
            f"concurrency {args.concurrency}"
        )
        print(f"  upload → leaderboard event : {fmt(result['upload_to_leaderboard_s'])}")
        print(f"  HTTP 202                   : {fmt(result['http_202_s'])}")
        print(f"  scoring floor (in-process) : {fmt(result['scoring_floor_in_process_s'])}")
        ratio = (
            result["upload_to_leaderboard_s"]["p50"] / result["scoring_floor_in_process_s"]["p50"]
        )
        print(f"  end-to-end p50 / scoring floor p50 = {ratio:.2f}")
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        for proc in procs:
            proc.stop()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()

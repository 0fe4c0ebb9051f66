"""Board computation at event scale (SPEC §11: 2,000 teams, 100,000 submissions, < 50 ms).

For 10,000 and 100,000 scored submissions spread over 2,000 teams, on PostgreSQL, this times
``compute_rows`` (the database aggregates per team: ``scoreboard.queries``) for the public,
staff and private boards, beside the baseline measured in the same run: loading every
submission and applying the pure rules of ``scoreboard.ranking``. Median and p90 of 9 runs.

    .venv/bin/python bench/boards.py [--teams 2000] [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import insert, select, text

from core.db import Database, utcnow
from core.models import Event, Submission, Task, Team
from migrations import upgrade
from organize.events import create_event
from organize.tasks import create_task
from scoreboard.boards import Board, compute_rows, load_entries
from scoreboard.ranking import public_board

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
NAME = os.environ.get("BENCH_DB", "hackjudge_bench_boards")
RUNS = 9


def fresh_database() -> str:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME}")
        conn.execute(f"CREATE DATABASE {NAME}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{NAME}"
    upgrade(url)
    return url


def seed(db: Database, teams: int, submissions: int, work: Path) -> None:
    rng = random.Random(submissions)
    truth = pd.DataFrame({"id": range(100), "target": np.arange(100) % 2})
    truth.to_csv(work / "truth.csv", index=False)
    now = utcnow()
    with db.begin() as session:
        event = create_event(
            session,
            "bench",
            "bench",
            (now - timedelta(hours=8)).isoformat(),
            (now - timedelta(minutes=1)).isoformat(),  # ended: the private board auto-picks
        )
        task = create_task(
            session, event, "t", metric="roc_auc", truth=work / "truth.csv", storage_dir=work
        )
        session.execute(
            insert(Team),
            [
                {"event_id": event.id, "name": f"팀{i}", "invite_code": f"c{i}"}
                for i in range(teams)
            ],  # noqa: E501
        )
        ids = session.scalars(select(Team.id)).all()
        rows = [
            {
                "task_id": task.id,
                "team_id": rng.choice(ids),
                "filename": "p.csv",
                "stored_path": "unused",
                "sha256": "0" * 64,
                "size": 1,
                "created_at": now - timedelta(seconds=rng.randint(60, 8 * 3600)),
                "status": "scored",
                "public_score": rng.random(),
                "private_score": rng.random(),
                "final": rng.random() < 0.01,
            }
            for _ in range(submissions)
        ]
        session.execute(insert(Submission), rows)
    with db.begin() as session:
        session.execute(text("ANALYZE"))  # as autovacuum would after a load


def timed(action) -> tuple[float, float]:  # noqa: ANN001
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def measure(db: Database) -> dict[str, tuple[float, float]]:
    out = {}
    with db.begin() as session:
        event = session.scalars(select(Event)).one()
        task = session.scalars(select(Task)).one()
        for board in Board:
            out[str(board)] = timed(lambda b=board: compute_rows(session, event, task, b, utcnow()))

        def baseline() -> None:
            entries, _ = load_entries(session, task, before=None, staff=False)
            public_board(entries, True)

        out["public, baseline: load every submission + pure rules"] = timed(baseline)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    print("| submissions | table | board | median ms | p90 ms |\n|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        db = Database()
        db.configure(fresh_database())
        with tempfile.TemporaryDirectory() as work:
            seed(db, args.teams, size, Path(work))
            # Straight after the load, then once autovacuum has passed (PostgreSQL vacuums
            # insert-heavy tables too): index-only scans need the visibility map it sets.
            for state in ("just loaded", "vacuumed"):
                if state == "vacuumed":
                    with psycopg.connect(f"{ADMIN.rsplit('/', 1)[0]}/{NAME}", autocommit=True) as c:
                        c.execute("VACUUM ANALYZE submissions")
                for board, (median, p90) in measure(db).items():
                    row = f"| {size:,} | {state} | {board} | {median:.1f} | {p90:.1f} |"
                    print(row, flush=True)
        assert db.engine is not None
        db.engine.dispose()
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME}")


if __name__ == "__main__":
    main()

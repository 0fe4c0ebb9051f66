"""Boards at event scale (SPEC §11: 2,000 teams, 100,000 submissions, < 50 ms, independent of
the submission count).

For 10,000 and 100,000 scored submissions spread over 2,000 teams, on PostgreSQL, with the
teams' standings built as the platform builds them (``judge.standings.recount``), this times
``compute_rows`` for the public, staff and private boards, and a whole refresh of the task as
a worker makes one after a score lands (``refresh_task``: the counters locked, the three boards
computed), in each phase of an event: live, frozen (the public board as of the freeze) and
ended (the private board's automatic picks). Beside them, measured in the same run, the
baseline: loading every submission and applying the pure rules of ``scoreboard.ranking``, which
every board is also checked against (a board that differs stops the bench). Median and p90 of
9 runs, first straight after the load, then after ``VACUUM ANALYZE``.

    .venv/bin/python bench/boards.py [--teams 2000] [--sizes 10000,100000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import insert, select, text

from core.db import Database, utcnow
from core.models import Event, Submission, Task, Team
from judge.metrics import get_metric
from judge.standings import recount_task
from migrations import upgrade
from organize.events import create_event, schedule_freeze, unfreeze_event
from organize.tasks import create_task
from scoreboard.boards import Board, compute_rows, load_entries, refresh_task
from scoreboard.ranking import private_board, public_board

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
NAME = os.environ.get("BENCH_DB", "hackjudge_bench_boards")
RUNS = 9
# The event's length; the freeze falls an hour before its end, as organizers usually set it.
HOURS = 8
PHASES = ("live", "frozen", "ended")


def fresh_database() -> str:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {NAME}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{NAME}"
    upgrade(url)
    return url


def seed(db: Database, teams: int, submissions: int, work: Path) -> float:
    """An event under way for ``HOURS`` hours with ``submissions`` scored rows over ``teams``
    teams (1% of them final picks); the seconds a team's standing took to build, on average."""
    rng = random.Random(submissions)
    truth = pd.DataFrame({"id": range(100), "target": np.arange(100) % 2})
    truth.to_csv(work / "truth.csv", index=False)
    now = utcnow()
    with db.begin() as session:
        event = create_event(
            session,
            "bench",
            "bench",
            (now - timedelta(hours=HOURS)).isoformat(),
            (now + timedelta(minutes=10)).isoformat(),
        )
        task = create_task(
            session, event, "t", metric="roc_auc", truth=work / "truth.csv", storage_dir=work
        )
        session.execute(
            insert(Team),
            [
                {"event_id": event.id, "name": f"팀{i}", "invite_code": f"c{i}"}
                for i in range(teams)
            ],
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
                "created_at": now - timedelta(seconds=rng.randint(60, HOURS * 3600 - 60)),
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
    # Rows inserted in bulk, not through intake and the jobs: their standings built at once,
    # each team's by the recount a score landing makes.
    with db.begin() as session:
        task = session.scalars(select(Task)).one()
        started = time.perf_counter()
        recount_task(session, task)
        return (time.perf_counter() - started) / teams


def enter(db: Database, phase: str) -> float:
    """Move the event's clock so that it is ``phase`` now, its freeze set as an organizer sets
    it (``hackjudge freeze``, the API: the standings are recounted as of it); the seconds the
    freeze's change took."""
    now = utcnow()
    with db.begin() as session:
        event = session.scalars(select(Event)).one()
        event.end_at = (
            now + timedelta(minutes=10) if phase != "ended" else now - timedelta(seconds=1)
        )
        started = time.perf_counter()
        if phase == "live":
            schedule_freeze(event, None, now)
            unfreeze_event(event, now)
        elif phase == "frozen":
            schedule_freeze(event, now - timedelta(hours=1), now)
        session.flush()
        return time.perf_counter() - started


def timed(action: Callable[[], object]) -> dict[str, float]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p90_ms": samples[int(0.9 * (len(samples) - 1))],
    }


def by_the_rules(session: Any, event: Event, task: Task, board: Board, now: datetime) -> list:
    """The board by the pure rules from every counted submission, as its rows are compared."""
    higher = get_metric(task.metric).higher_is_better
    frozen = board is Board.PUBLIC and event.freeze_at is not None and now >= event.freeze_at
    entries, _teams = load_entries(
        session, task, before=event.freeze_at if frozen else None, staff=board is Board.STAFF
    )
    entries.sort(key=lambda e: e.submission_id)  # finals beyond K: the earliest picked count
    if board is Board.PRIVATE:
        rows = private_board(entries, task.final_picks, higher, now >= event.end_at)
    else:
        rows = public_board(entries, higher)
    return [(r.rank, r.team, r.score, r.submissions) for r in rows]


def measure(db: Database, phase: str) -> dict[str, Any]:
    out: dict[str, Any] = {"freeze_s": enter(db, phase)}
    with db.begin() as session:
        event = session.scalars(select(Event)).one()
        task = session.scalars(select(Task)).one()
        now = utcnow()
        for board in Board:
            rows, _frozen = compute_rows(session, event, task, board, now)
            got = [(r["rank"], r["team"], r["score"], r["submissions"]) for r in rows]
            if got != by_the_rules(session, event, task, board, now) or not got:
                raise SystemExit(f"the {phase} {board} board differs from the rules")
            out[str(board)] = timed(lambda b=board: compute_rows(session, event, task, b, utcnow()))

        def baseline() -> None:
            entries, _ = load_entries(session, task, before=None, staff=False)
            public_board(entries, True)

        out["baseline"] = timed(baseline)

    def refresh() -> None:
        # As a worker's refresh after a score lands: the counters locked, all three boards.
        with db.begin() as session:
            refresh_task(session, task.id)
            session.rollback()

    out["refresh"] = timed(refresh)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    columns = ("public", "staff", "private", "refresh", "baseline")
    print(
        "| submissions | table | phase | "
        + " | ".join(columns)
        + " | freeze moved |\n"
        + "|---" * 9
        + "|",
        flush=True,
    )
    figures: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        db = Database()
        db.configure(fresh_database())
        with tempfile.TemporaryDirectory() as work:
            built = seed(db, args.teams, size, Path(work))
            print(f"<!-- {size:,}: a team's standing recounted in {1000 * built:.2f} ms -->")
            # Straight after the load, then once autovacuum has passed (PostgreSQL vacuums
            # insert-heavy tables too): index-only scans need the visibility map it sets.
            for table in ("just loaded", "vacuumed"):
                if table == "vacuumed":
                    with psycopg.connect(f"{ADMIN.rsplit('/', 1)[0]}/{NAME}", autocommit=True) as c:
                        c.execute("VACUUM ANALYZE")
                for phase in PHASES:
                    found = measure(db, phase)
                    cells = " | ".join(
                        f"{found[c]['median_ms']:.1f} ({found[c]['p90_ms']:.1f})" for c in columns
                    )
                    moved = f"{1000 * found['freeze_s']:.0f}"
                    print(f"| {size:,} | {table} | {phase} | {cells} | {moved} |", flush=True)
                    where = {"submissions": size, "table": table, "phase": phase}
                    figures.append(where | {"recount_ms": 1000 * built} | found)
        assert db.engine is not None
        db.engine.dispose()
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
    if args.json:
        args.json.write_text(json.dumps({"teams": args.teams, "figures": figures}, indent=2))


if __name__ == "__main__":
    main()

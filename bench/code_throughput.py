"""A code task's throughput (issue 16): programs through production (``hackjudge serve``, one
scoring worker, ``hackjudge worker --queue code`` ×1 then ×2 in the same run, PostgreSQL,
Redis), each a team's typical program (pandas and scikit-learn imported, a model fitted on
the features it brought, the hidden inputs predicted), all uploaded at once.

Reports per phase: the time from the first upload to the last score, programs a minute, the
runs' own elapsed time (p50 / p90, from the sandbox's report), the wait in the queue
(p50 / p90), and the ratio of 2 code workers to 1.

    python bench/code_throughput.py [--programs 24] [--rows 2000] [--json FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    PG_URL,
    Proc,
    free_port,
    production_env,
    seed_event,
    spawn,
    start_server,
    wait_for,
)
from core.db import Database  # noqa: E402
from core.models import CodeRun, Event, Submission, Task  # noqa: E402
from judge import sandbox_check  # noqa: E402
from migrations import upgrade  # noqa: E402
from organize.code_tasks import CodeSettings  # noqa: E402
from organize.tasks import create_task  # noqa: E402

FEATURES = 8
PROGRAM = """\
import pandas as pd
from sklearn.linear_model import LogisticRegression

train = pd.read_csv("train.csv")
test = pd.read_csv("/input/test.csv", dtype={"id": str})
columns = [c for c in test.columns if c != "id"]
model = LogisticRegression(max_iter=500).fit(train[columns], train["target"])
pd.DataFrame({"id": test["id"], "target": model.predict_proba(test[columns])[:, 1]}).to_csv(
    "/output/submission.csv", index=False
)
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def features_of(truth: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Features that carry the target, with noise: a model fitted on them predicts it."""
    rng = np.random.default_rng(seed)
    target = truth["target"].to_numpy(dtype=float)
    columns = {f"x{i}": target * (i % 3) + rng.normal(0, 1.5, len(truth)) for i in range(FEATURES)}
    return pd.DataFrame({"id": truth["id"], **columns})


def bundle(train: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("main.py", PROGRAM)
        archive.writestr("train.csv", train.to_csv(index=False))
    return buffer.getvalue()


def phase(
    db_url: str, tmp: Path, env: dict[str, str], tokens: list[str], body: bytes, workers: int
) -> dict[str, Any]:
    """Upload one program per token at once with ``workers`` code workers; the figures."""
    procs: list[Proc] = []
    try:
        server = start_server(env, tmp / f"web-{workers}.log", free_port())
        procs.append(server)
        procs.append(spawn(["worker"], env, tmp / f"worker-{workers}.log"))
        for i in range(workers):
            procs.append(spawn(["worker", "--queue", "code"], env, tmp / f"code-{workers}-{i}.log"))
        time.sleep(5)  # the code workers' self-test and registration
        path = f"{server.url}/api/v1/events/bench/tasks/code/submissions"

        def send(token: str) -> requests.Response:
            return requests.post(
                path,
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("solution.zip", body, "application/zip")},
                timeout=60,
            )

        started = time.time()
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(send, tokens))
        assert all(r.status_code == 202 for r in replies), [r.text for r in replies[:3]]
        database = Database()
        database.configure(db_url)

        def done() -> bool:
            with database.begin() as session:
                statuses = session.scalars(
                    select(Submission.status).join(Task).where(Task.slug == "code")
                ).all()
            return len(statuses) == len(tokens) and all(
                s in ("scored", "invalid", "failed") for s in statuses
            )

        wait_for(done, 1800, "every program scored")
        with database.begin() as session:
            rows = session.execute(
                select(Submission, CodeRun)
                .join(CodeRun, CodeRun.submission_id == Submission.id)
                .join(Task, Task.id == Submission.task_id)
                .where(Task.slug == "code")
            ).all()
            statuses = [s.status for s, _r in rows]
            elapsed = [r.elapsed_s for _s, r in rows if r.elapsed_s is not None]
            waits = [(s.started_at - s.created_at).total_seconds() for s, _r in rows]
            last = max(s.finished_at.timestamp() for s, _r in rows)
            # A phase's submissions are the newest ones: the earlier phase's are left out.
        database.engine.dispose()
        took = last - started
        return {
            "code_workers": workers,
            "programs": len(tokens),
            "scored": statuses.count("scored"),
            "total_s": took,
            "per_minute": 60 * len(tokens) / took,
            "run_p50_s": statistics.median(elapsed),
            "run_p90_s": percentile(elapsed, 0.9),
            "queue_wait_p50_s": statistics.median(waits),
            "queue_wait_p90_s": percentile(waits, 0.9),
        }
    finally:
        for proc in procs:
            proc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=24)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if problem := sandbox_check.self_test():
        sys.exit(f"the sandbox does not work here: {problem}")
    tmp = Path(tempfile.mkdtemp(prefix="hackjudge-code-bench-"))
    base = PG_URL.rsplit("/", 1)[0]
    results = []
    for workers in (1, 2):
        name = f"hackjudge_code_bench_{os.getpid()}_{workers}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        try:
            url = f"{base}/{name}"
            upgrade(url)
            database = Database()
            database.configure(url)
            seeded = seed_event(
                database, tmp / f"storage-{workers}", tmp, teams=args.programs, rows=args.rows
            )
            features = features_of(seeded.truth, seed=1)
            inputs = tmp / "test.csv"
            features.to_csv(inputs, index=False)
            train = features_of(seeded.truth, seed=2).drop(columns="id")
            train["target"] = seeded.truth["target"]
            with database.begin() as session:
                create_task(
                    session,
                    session.scalars(select(Event)).one(),
                    "code",
                    metric="roc_auc",
                    truth=tmp / "truth.csv",
                    storage_dir=tmp / f"storage-{workers}",
                    daily_limit=None,
                    code=CodeSettings(inputs, None, 120, 1024),
                )
            database.engine.dispose()
            env = production_env(url, tmp / f"p{workers}", f"code-bench-{os.getpid()}-{workers}")
            env["HACKJUDGE_STORAGE_DIR"] = str(tmp / f"storage-{workers}")
            result = phase(url, tmp, env, list(seeded.tokens.values()), bundle(train), workers)
        finally:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        results.append(result)
        print(
            f"{workers} code worker(s): {result['programs']} programs in {result['total_s']:.1f} s "
            f"({result['per_minute']:.1f}/min, {result['scored']} scored); run p50 "
            f"{result['run_p50_s']:.2f} s p90 {result['run_p90_s']:.2f} s; queue wait p50 "
            f"{result['queue_wait_p50_s']:.1f} s p90 {result['queue_wait_p90_s']:.1f} s",
            flush=True,
        )
    ratio = results[1]["per_minute"] / results[0]["per_minute"]
    print(f"2 code workers / 1: {ratio:.2f}x the programs a minute")
    if args.json:
        args.json.write_text(json.dumps({"phases": results, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()

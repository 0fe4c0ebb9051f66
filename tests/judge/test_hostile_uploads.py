"""Hostile files uploaded over HTTP to a production deployment (issue 12, items 2, 5 and 6).

A real web node, a real RQ worker, PostgreSQL and Redis. Each file is small to upload and
once cost a worker minutes or gigabytes (a 10M-column header pinned it for 3 × 600 s; a
gzip bomb took 1.25 GB; a 100 MB id became a 100 MB message). Now each ends ``invalid`` with
a message naming the cap, the stored error and the API's reply stay small, the worker's peak
memory barely moves, and the next good file is scored by the same worker.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from core.db import Database
from core.models import Submission
from tests.actions import Api, bearer
from tests.bombs import gzip_bomb, zip_bomb
from tests.helpers import Contest, Proc, prediction_csv, seed_env, server_in, wait_for, worker_in

MIB = 1 << 20
FINISHED = ("scored", "invalid", "failed")


def with_id(contest: Contest, length: int) -> bytes:
    """A gzipped submission whose first id is ``length`` characters long."""
    body = prediction_csv(contest.truth, 0.3, 2).split(b"\n", 2)
    return gzip.compress(b"\n".join([body[0], b"x" * length + b",0.5", body[2]]), 6, mtime=0)


# name → (the upload, its file name, what the message must say)
CASES = {
    "a 10 MB id": (lambda c: with_id(c, 10 * MIB), "p.csv.gz", "is longer than 1 MiB"),
    "a 100 kB id": (lambda c: with_id(c, 100_000), "p.csv.gz", "'" + "x" * 59 + "…'"),
    "10M duplicate columns": (
        lambda c: gzip.compress(b",".join([b"a"] * 10_000_000) + b"\n", 9, mtime=0),
        "p.csv.gz",
        "longer than 64 KiB",
    ),
    "a gzip bomb": (lambda c: gzip_bomb(), "p.csv.gz", "expands to more than 1 GiB"),
    "a zip bomb": (lambda c: zip_bomb(), "p.zip", "expands to more than 1 GiB"),
    # Refused once its claimed 100 bytes are read (the checksum fails): never expanded whole.
    "a zip bomb that lies": (lambda c: zip_bomb(100), "p.zip", "damaged"),
}


@pytest.fixture
def database(production_env: dict[str, str]) -> Iterator[Database]:
    database = Database()
    database.configure(production_env["HACKJUDGE_DATABASE_URL"])
    yield database
    assert database.engine is not None
    database.engine.dispose()


def peak_memory(proc: Proc) -> int:
    """The process's peak resident size so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{proc.popen.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def newest_finished(database: Database) -> Submission:
    """The last upload's row once scored or refused (each upload here waits for the one before)."""

    def row() -> Submission | None:
        with database.begin() as session:
            sub = session.scalars(select(Submission).order_by(Submission.id.desc())).first()
            return sub if sub is not None and sub.status in FINISHED else None

    return wait_for(row, 60, "the last upload to be scored or refused")


def test_hostile_files_end_invalid_with_a_short_message_and_the_worker_scores_on(
    production_env: dict[str, str], database: Database, tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(production_env, tmp_path, teams=2)
    server = server_in(production_env, spawned, tmp_path, "web")
    worker = worker_in(production_env, spawned, tmp_path, "worker")
    api = Api(server, contest)
    good = prediction_csv(contest.truth, 0.3, 1)
    api.submit("팀0", good)
    first = newest_finished(database)
    assert first.status == "scored", first.staff_error
    warm = peak_memory(worker)  # the task loaded and one file scored

    for case, (build, name, says) in CASES.items():
        ref = str(api.submit("팀1", build(contest), name))
        sub = newest_finished(database)
        assert sub.status == "invalid", (case, sub.status, sub.staff_error[-500:])
        assert says in sub.error, (case, sub.error[:300])
        assert len(sub.error) < 1000, (case, len(sub.error))
        assert len(json.dumps(sub.error_detail)) < 1000, case
        reply = requests.get(
            f"{server.url}/api/v1/submissions/{ref}",
            headers=bearer(contest.tokens["팀1"], lang="en"),
            timeout=30,
        )
        assert reply.status_code == 200 and says in reply.json()["error"], (case, reply.text[:300])
        assert len(reply.content) < 2000, (case, len(reply.content))

    api.submit("팀0", good)
    again = newest_finished(database)
    assert again.status == "scored" and again.worker == first.worker
    grown = peak_memory(worker) - warm
    assert grown < 256 * MIB, f"the worker's peak memory rose {grown / MIB:.0f} MiB"

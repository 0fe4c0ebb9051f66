"""Issue 12 (10): a full storage answers ``507`` with a clear message, keeps nothing half
written, and alerts the organizers on their dashboard; uploads work again once there is room.

The disk fills for real: a 2 MB tmpfs mounted as the storage (ENOSPC) where the test may
mount (root, as in this project's sandbox); elsewhere a file-size limit on the running web
node (RLIMIT_FSIZE, so EFBIG: a quota, which the server treats alike; forced with
``HACKJUDGE_TEST_FILL=rlimit``).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from core.db import Database
from core.models import Submission
from tests.actions import Api, bearer
from tests.helpers import Proc, browser_sign_in, prediction_csv, seed_env, server_in

TMPFS_BYTES = 2 * 1024 * 1024
ROWS = 10_000  # a prediction file of ~270 KB


@dataclass
class Filling:
    """How this machine lets the test fill the storage: ``tmpfs`` (ENOSPC) or ``rlimit``."""

    how: str
    storage: Path
    filler: Path

    def fill(self, server: Proc, room: int) -> None:
        """Leave ``room`` bytes for the next file."""
        if self.how == "tmpfs":
            free = shutil.disk_usage(self.storage).free
            with self.filler.open("wb") as out:
                out.write(b"\0" * max(0, free - room))
        else:  # no file the web node writes may grow past this (the soft limit) any more
            limit = (room, resource.RLIM_INFINITY)
            resource.prlimit(server.popen.pid, resource.RLIMIT_FSIZE, limit)

    def free_up(self, server: Proc) -> None:
        if self.how == "tmpfs":
            self.filler.unlink()
        else:
            infinity = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
            resource.prlimit(server.popen.pid, resource.RLIMIT_FSIZE, infinity)


@pytest.fixture
def filling(tmp_path: Path) -> Iterator[Filling]:
    storage = tmp_path / "storage"
    storage.mkdir()
    mounted = False
    # HACKJUDGE_TEST_FILL=rlimit tries the other way where the test could mount.
    if os.geteuid() == 0 and os.environ.get("HACKJUDGE_TEST_FILL") != "rlimit":
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(storage)],
            capture_output=True,
        )
        mounted = done.returncode == 0
    yield Filling("tmpfs" if mounted else "rlimit", storage, storage / "filler.bin")
    if mounted:
        subprocess.run(["umount", "-l", str(storage)], check=False)


def test_a_full_storage_answers_507_and_alerts_the_organizers(
    production_env: dict[str, str],
    filling: Filling,
    tmp_path: Path,
    spawned: list[Proc],
    browser,  # noqa: ANN001
) -> None:
    env = {**production_env, "HACKJUDGE_STORAGE_DIR": str(filling.storage)}
    contest = seed_env(env, tmp_path, rows=ROWS)
    server = server_in(env, spawned, tmp_path, "web")
    body = prediction_csv(contest.truth, 0.3, 1)
    filling.fill(server, room=len(body) // 2)

    team = Api(server, contest)
    refused = team.upload("팀0", body, lang="en")
    assert refused.status_code == 507, (filling.how, refused.status_code, refused.text[:300])
    assert refused.json()["error"] == {
        "code": "storage_full",
        "message": "The server has no room left to store the file; the organizers have been "
        "alerted. Try again later.",
    }
    assert int(refused.headers["Retry-After"]) > 0
    # Nothing half-written, and no row.
    leftovers = [p for p in (filling.storage / "submissions").rglob("*") if p.is_file()]
    assert leftovers == []
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            assert session.scalar(select(func.count(Submission.id))) == 0
    finally:
        assert database.engine is not None
        database.engine.dispose()

    # The organizers see it: the dashboard's data, and the alert on their page.
    organizer = bearer(contest.staff_tokens["organizer"])
    health = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/dashboard",
        headers={**organizer, "Accept-Language": "en"},
        timeout=30,
    ).json()
    assert health["storage"]["full_at"] is not None
    assert health["storage"]["message"].startswith("Uploads were refused: the submission storage")
    page = browser_sign_in(
        browser, server, "organizer@test.kr", contest.passwords["organizer@test.kr"]
    )
    try:
        page.goto(f"{server.url}/lang/en")  # the page and its API calls in English
        page.goto(f"{server.url}/events/{contest.event}/organize")
        alert = page.locator("#storage-alert")
        alert.wait_for(state="visible")
        assert alert.inner_text().startswith("Uploads were refused: the submission storage")
    finally:
        page.close()

    # Room again: the same upload is accepted.
    filling.free_up(server)
    accepted = team.upload("팀0", body, lang="en")
    assert accepted.status_code == 202, accepted.text
    assert len(list((filling.storage / "submissions").rglob("*.upload"))) == 1

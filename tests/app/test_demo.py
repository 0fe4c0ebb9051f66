"""The README's first command: ``hackjudge demo`` serves a seeded event whose board moves."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import requests

from tests.actions import csrf_token
from tests.helpers import Proc, spawn, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_runs_with_bots_and_a_review_ready(tmp_path: Path, spawned: list[Proc]) -> None:
    port = free_port()
    # Nothing but an instance folder: no Redis, no PostgreSQL (embedded mode).
    env = {"HACKJUDGE_INSTANCE_DIR": str(tmp_path / "instance")}
    proc = spawn(["demo", "--port", str(port)], env, tmp_path / "demo.log")
    spawned.append(proc)
    base = f"http://127.0.0.1:{port}"

    def board() -> dict | None:
        if proc.popen.poll() is not None:
            raise AssertionError(proc.output())
        try:
            return requests.get(f"{base}/api/v1/events/demo/leaderboard", timeout=5).json()
        except requests.ConnectionError:
            return None

    moved = wait_for(lambda: (b := board()) and len(b["rows"]) >= 2 and b, 90, "bots to score")
    assert moved["rows"][0]["rank"] == 1
    printed = proc.output()
    password = re.search(r"organizer\s+organizer@demo\.kr\s+(\S+)", printed).group(1)
    assert f"{base}/events/demo/projector" in printed
    assert requests.get(f"{base}/events/demo/projector", timeout=10).status_code == 200
    session = requests.Session()
    login = session.get(f"{base}/login", timeout=10).text
    token = csrf_token(login)
    session.post(
        f"{base}/login",
        timeout=10,
        data={
            "csrf_token": token,
            "email": "organizer@demo.kr",
            "password": password,
        },
    )
    review = session.get(f"{base}/events/demo/review", timeout=10)
    assert review.status_code == 200 and "기술성" in review.text
    assert (tmp_path / "instance" / "demo" / "demo.sqlite").exists()

"""``hackjudge submit --wait`` against a real running server: the score, or the error and a
non-zero exit; the server and token may come from the config file."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import requests

from tests.conftest import server_in
from tests.helpers import HACKJUDGE, Proc, prediction_csv, seed_env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # The terminal's language is set by each call (English unless it says Korean).
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HACKJUDGE_") and k not in ("LANG", "LC_ALL", "LC_MESSAGES")
    }
    return subprocess.run(
        [HACKJUDGE, "submit", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_submit_wait_prints_the_score_or_the_error(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    good = tmp_path / "good.csv"
    good.write_bytes(prediction_csv(contest.truth, 0.3, 1))
    # Server and token from the config file, as a participant would keep them.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"server": server.url, "token": contest.tokens["팀0"]}))
    done = run({"HACKJUDGE_CONFIG": str(config)}, contest.event, contest.task, str(good), "--wait")
    assert done.returncode == 0, done.stderr
    assert "uploading good.csv" in done.stderr
    listed = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/leaderboard", timeout=10
    ).json()["rows"]
    assert done.stdout.strip() == f"scored: public score {listed[0]['score']!r}"

    # A file with a missing id becomes invalid: the message, and exit code 1.
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(good.read_text().splitlines()[:-1]) + "\n")
    failed = run(
        {"HACKJUDGE_SERVER": server.url, "HACKJUDGE_TOKEN": contest.tokens["팀1"]},
        contest.event,
        contest.task,
        str(bad),
        "--wait",
    )
    assert failed.returncode == 1
    assert "Error: invalid: 1 ids are missing" in failed.stderr

    # In a Korean terminal the server's messages come in Korean.
    korean = {"HACKJUDGE_SERVER": server.url, "HACKJUDGE_TOKEN": contest.tokens["팀1"]}
    failed = run({**korean, "LANG": "ko_KR.UTF-8"}, contest.event, contest.task, str(bad), "--wait")
    assert failed.returncode == 1
    assert "Error: invalid: 빠진 id가 1개 있습니다" in failed.stderr
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = run({**korean, "LC_ALL": "ko_KR.UTF-8"}, contest.event, contest.task, str(empty))
    assert refused.returncode == 1 and "파일이 비어 있습니다." in refused.stderr

    # A refused upload (wrong token) is one clear line too; no settings at all says what to do.
    refused = run(
        {}, contest.event, contest.task, str(good), "--server", server.url, "--token", "wrong"
    )
    assert refused.returncode == 1 and "Error:" in refused.stderr
    bare = run(
        {"HACKJUDGE_CONFIG": str(tmp_path / "none.json")}, contest.event, contest.task, str(good)
    )
    assert bare.returncode == 1 and "HACKJUDGE_SERVER" in bare.stderr

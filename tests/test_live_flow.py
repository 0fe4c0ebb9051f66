"""End to end with real processes: upload → scoring → ``leaderboard`` event at a Socket.IO client.

Production: ``hackjudge serve`` + two ``hackjudge worker`` processes on PostgreSQL and Redis,
seeded with the ``hackjudge`` CLI as an organizer would. Embedded: one ``serve`` on SQLite.
"""

from __future__ import annotations

import io
import math
import queue
import time
from pathlib import Path

import pandas as pd
import pytest
import requests
import socketio
from sklearn.metrics import roc_auc_score

from tests.actions import bearer
from tests.helpers import Proc, cli, prediction_csv, server_in, truth_frame, worker_in

TEAMS = ["알파", "베타", "감마"]
NOISES = {"알파": 0.9, "베타": 0.15, "감마": 0.45}


def seed_with_cli(env: dict[str, str], tmp_path: Path, rows: int) -> dict:
    """An organizer's set-up, command by command (SPEC §8)."""
    truth = truth_frame(rows, seed=11)
    truth.to_csv(tmp_path / "truth.csv", index=False)
    roster = pd.DataFrame(
        [(t, "캠퍼스", f"{t} 팀원", f"{i}@t.kr") for i, t in enumerate(TEAMS)],
        columns=["team", "affiliation", "name", "email"],
    )
    roster.to_csv(tmp_path / "teams.csv", index=False, encoding="cp949")  # as Korean Excel saves
    cli(env, "db", "upgrade")
    cli(
        env,
        "event",
        "create",
        "live",
        "--title",
        "라이브",
        "--start",
        "2020-01-01T00:00",
        "--end",
        "2099-01-01T00:00",
    )
    cli(
        env,
        "task",
        "create",
        "live",
        "auc",
        "--metric",
        "roc_auc",
        "--truth",
        str(tmp_path / "truth.csv"),
        "--public-fraction",
        "0.5",
        "--daily-limit",
        "10",
    )
    cli(
        env,
        "team",
        "import",
        "live",
        str(tmp_path / "teams.csv"),
        "--out",
        str(tmp_path / "cred.csv"),
    )
    tokens = {t: cli(env, "token", "create", f"{i}@t.kr").strip() for i, t in enumerate(TEAMS)}
    return {"truth": truth, "tokens": tokens}


def expected_order(truth: pd.DataFrame, truth_path: Path) -> list[tuple[str, float]]:
    """The public ranking computed independently with scikit-learn."""
    stored = pd.read_csv(truth_path, dtype={"id": str}).set_index("id")
    scores = []
    for i, team in enumerate(TEAMS):
        body = io.BytesIO(prediction_csv(truth, NOISES[team], i))
        pred = pd.read_csv(body, dtype={"id": str}).set_index("id").rename(columns={"target": "p"})
        public = pred.join(stored).query("Usage == 'Public'")
        scores.append((team, roc_auc_score(public["target"], public["p"])))
    return sorted(scores, key=lambda ts: -ts[1])


def subscribe(client: socketio.Client, url: str) -> queue.Queue:
    boards: queue.Queue = queue.Queue()
    client.on("leaderboard", boards.put, namespace="/live")
    client.connect(url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    ack = client.call("subscribe", {"event": "live"}, namespace="/live", timeout=10)
    assert ack["ok"] is True and ack["boards"] == ["public"]
    assert ack["sent"] == [{"task": "auc", "board": "public", "version": ack["sent"][0]["version"]}]
    return boards


def wait_for_board(boards: queue.Queue, teams: int, timeout: float = 60) -> dict:
    """The first pushed board with ``teams`` ranked rows."""
    deadline = time.monotonic() + timeout
    while True:
        data = boards.get(timeout=max(0.1, deadline - time.monotonic()))
        if len(data["rows"]) == teams:
            return data


def run_flow(server: Proc, seeded: dict, live_client: socketio.Client, truth_path: Path) -> None:
    boards = subscribe(live_client, server.url)
    first = boards.get(timeout=10)
    assert first["rows"] == [] and first["board"] == "public" and first["task"] == "auc"
    for i, team in enumerate(TEAMS):
        reply = requests.post(
            f"{server.url}/api/v1/events/live/tasks/auc/submissions",
            headers=bearer(seeded["tokens"][team]),
            files={"file": ("pred.csv", prediction_csv(seeded["truth"], NOISES[team], i))},
            timeout=30,
        )
        assert reply.status_code == 202, reply.text
    board = wait_for_board(boards, len(TEAMS))
    expected = expected_order(seeded["truth"], truth_path)
    assert [row["team"] for row in board["rows"]] == [team for team, _ in expected]
    for row, (_team, auc) in zip(board["rows"], expected, strict=True):
        assert math.isclose(row["score"], auc, rel_tol=1e-12)
    assert [row["rank"] for row in board["rows"]] == [1, 2, 3]
    assert board["version"] > first["version"]
    # The API agrees with the push.
    api = requests.get(f"{server.url}/api/v1/events/live/leaderboard?task=auc", timeout=10).json()
    assert api["rows"] == board["rows"]


def truth_file(env: dict[str, str]) -> Path:
    files = list((Path(env["HACKJUDGE_STORAGE_DIR"]) / "truth").glob("*.csv"))
    assert len(files) == 1
    return files[0]


def test_production_flow_with_workers(
    production_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
    live_client: socketio.Client,
) -> None:
    seeded = seed_with_cli(production_env, tmp_path, rows=2000)
    server = server_in(production_env, spawned, tmp_path, "web")
    workers = [worker_in(production_env, spawned, tmp_path, f"worker{i}") for i in range(2)]
    run_flow(server, seeded, live_client, truth_file(production_env))
    # The scoring really happened in the worker processes, not in the web server.
    logs = "".join(w.output() for w in workers)
    assert all(w.popen.poll() is None for w in workers), logs


def test_embedded_flow_on_sqlite(
    embedded_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
    live_client: socketio.Client,
) -> None:
    seeded = seed_with_cli(embedded_env, tmp_path, rows=500)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    run_flow(server, seeded, live_client, truth_file(embedded_env))


def test_submission_events_reach_only_the_team(
    embedded_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
) -> None:
    seeded = seed_with_cli(embedded_env, tmp_path, rows=300)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    inboxes: dict[str, queue.Queue] = {}
    clients = []
    for team in ("알파", "베타"):
        client = socketio.Client(reconnection=False)
        inbox: queue.Queue = queue.Queue()
        client.on("submission", inbox.put, namespace="/live")
        client.connect(
            server.url,
            namespaces=["/live"],
            transports=["websocket"],
            auth={"token": seeded["tokens"][team]},
            wait_timeout=10,
        )
        client.call("subscribe", {"event": "live"}, namespace="/live", timeout=10)
        inboxes[team] = inbox
        clients.append(client)
    bad = pd.DataFrame({"id": seeded["truth"]["id"][3:], "target": 0.5}).to_csv(index=False)
    reply = requests.post(
        f"{server.url}/api/v1/events/live/tasks/auc/submissions",
        headers=bearer(seeded["tokens"]["알파"]),
        files={"file": ("bad.csv", bad.encode())},
        timeout=30,
    )
    assert reply.status_code == 202
    statuses = []
    while not statuses or statuses[-1]["status"] not in ("scored", "invalid"):
        statuses.append(inboxes["알파"].get(timeout=30))
    assert [s["status"] for s in statuses] == ["scoring", "invalid"]
    assert statuses[-1]["error"].startswith("3 ids are missing")
    # One push reaches every member: the message comes in each language the site speaks.
    assert set(statuses[-1]) == {
        "id",
        "number",
        "task",
        "status",
        "public_score",
        "error",
        "errors",
    }
    assert statuses[-1]["errors"]["en"] == statuses[-1]["error"]
    assert statuses[-1]["errors"]["ko"].startswith("빠진 id가 3개 있습니다")
    assert inboxes["베타"].empty()
    for client in clients:
        client.disconnect()


def test_wrong_socket_token_is_refused(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    cli(embedded_env, "db", "upgrade")
    server = server_in(embedded_env, spawned, tmp_path, "web")
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            server.url,
            namespaces=["/live"],
            transports=["websocket"],
            auth={"token": "hj_wrong"},
            wait_timeout=5,
        )

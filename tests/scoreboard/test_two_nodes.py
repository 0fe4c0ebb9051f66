"""Several web nodes: an upload to node A, scored by a worker, reaches a viewer on node B."""

from __future__ import annotations

import queue
from pathlib import Path

import requests
import socketio

from tests.actions import bearer
from tests.helpers import Proc, prediction_csv, seed_env, server_in, worker_in


def test_viewer_on_node_b_sees_upload_to_node_a(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(production_env, tmp_path)
    node_a = server_in(production_env, spawned, tmp_path, "node-a")
    node_b = server_in(production_env, spawned, tmp_path, "node-b")
    worker_in(production_env, spawned, tmp_path, "worker")

    boards: queue.Queue = queue.Queue()
    viewer = socketio.Client(reconnection=False)
    viewer.on("leaderboard", boards.put, namespace="/live")
    viewer.connect(node_b.url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    viewer.call("subscribe", {"event": contest.event}, namespace="/live", timeout=10)
    assert boards.get(timeout=10)["rows"] == []

    reply = requests.post(
        f"{node_a.url}/api/v1/events/{contest.event}/tasks/{contest.task}/submissions",
        headers=bearer(contest.tokens["팀2"]),
        files={"file": ("p.csv", prediction_csv(contest.truth, 0.3, 1))},
        timeout=30,
    )
    assert reply.status_code == 202
    pushed = boards.get(timeout=60)
    assert [row["team"] for row in pushed["rows"]] == ["팀2"]
    # Node A's API agrees with what node B pushed.
    api = requests.get(f"{node_a.url}/api/v1/events/{contest.event}/leaderboard", timeout=10)
    assert api.json()["rows"] == pushed["rows"]
    viewer.disconnect()

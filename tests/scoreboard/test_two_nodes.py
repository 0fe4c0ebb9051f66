"""Several web nodes: an upload to node A, scored by a worker, reaches a viewer on node B."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.actions import Api, watch
from tests.helpers import Proc, seed_env, server_in, worker_in


def test_viewer_on_node_b_sees_upload_to_node_a(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(production_env, tmp_path)
    node_a = server_in(production_env, spawned, tmp_path, "node-a")
    node_b = server_in(production_env, spawned, tmp_path, "node-b")
    worker_in(production_env, spawned, tmp_path, "worker")

    viewer, boards = watch(node_b.url, contest.event)
    assert boards.get(timeout=10)["rows"] == []

    Api(node_a, contest).entry("팀2", 0.3, 1)
    pushed = boards.get(timeout=60)
    assert [row["team"] for row in pushed["rows"]] == ["팀2"]
    # Node A's API agrees with what node B pushed.
    api = requests.get(f"{node_a.url}/api/v1/events/{contest.event}/leaderboard", timeout=10)
    assert api.json()["rows"] == pushed["rows"]
    viewer.disconnect()

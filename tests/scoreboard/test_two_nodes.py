"""Several web nodes: an upload to node A, scored by a worker, reaches a viewer on node B; and
when the node that ticks the board clock dies, another takes the clock over."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import requests
from redis import Redis

from tests.actions import Api, watch
from tests.helpers import Proc, seed_env, server_in, wait_for, worker_in


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


def test_a_judge_who_comes_back_sees_the_staff_board_that_went_by_meanwhile(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    """A node with no staff on it lets the staff boards go by undecoded (issue 14), and forgets
    the copy it held: an organizer who subscribes again reads the board as it is now."""
    contest = seed_env(production_env, tmp_path)
    node = server_in(production_env, spawned, tmp_path, "node")
    worker_in(production_env, spawned, tmp_path, "worker")
    api = Api(node, contest)
    viewer, public = watch(node.url, contest.event)
    assert public.get(timeout=10)["rows"] == []

    organizer, first = watch(node.url, contest.event, api.staff_token())
    boards = {b["board"]: b for b in (first.get(timeout=10), first.get(timeout=10))}
    assert boards["staff"]["rows"] == []  # cached on the node by this subscribe
    organizer.disconnect()  # nobody from staff on the node now

    api.entry("팀2", 0.3, 1)
    assert [row["team"] for row in public.get(timeout=60)["rows"]] == ["팀2"]
    organizer, again = watch(node.url, contest.event, api.staff_token())
    boards = {b["board"]: b for b in (again.get(timeout=10), again.get(timeout=10))}
    assert [row["team"] for row in boards["staff"]["rows"]] == ["팀2"]
    organizer.disconnect()
    viewer.disconnect()


def test_when_the_node_with_the_clock_is_killed_another_takes_the_clock_over(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    """One node ticks the board clock (issue 14). Killed, the other takes it over once its
    lease has run out: an upload's attempt count, with no worker to score it, is pushed by the
    clock of the node left."""
    contest = seed_env(production_env, tmp_path, teams=2, rows=100)
    redis = Redis.from_url(production_env["HACKJUDGE_REDIS_URL"])
    lease = f"hackjudge:{production_env['HACKJUDGE_SOCKETIO_CHANNEL']}:clock"
    node_a = server_in(production_env, spawned, tmp_path, "node-a")
    holder = wait_for(lambda: redis.get(lease), 30, "node A to take the clock")
    node_b = server_in(production_env, spawned, tmp_path, "node-b")
    api = Api(node_b, contest)
    api.entry("팀0", 0.3)
    worker = worker_in(production_env, spawned, tmp_path, "worker")
    leaderboard = f"{node_b.url}/api/v1/events/{contest.event}/leaderboard"
    wait_for(lambda: requests.get(leaderboard, timeout=10).json()["rows"], 60, "the first score")
    worker.stop()
    assert redis.get(lease) == holder  # node B stood by while node A lived

    os.killpg(node_a.popen.pid, signal.SIGKILL)  # no goodbye: its lease is left to run out
    node_a.popen.wait(10)
    viewer, boards = watch(node_b.url, contest.event)
    assert [row["submissions"] for row in boards.get(timeout=10)["rows"]] == [1]
    api.submit("팀0", contest.truth.to_csv(index=False).encode())
    (row,) = boards.get(timeout=30)["rows"]
    assert row["team"] == "팀0" and row["submissions"] == 2
    assert redis.get(lease) not in (None, holder)  # node B's clock now
    viewer.disconnect()

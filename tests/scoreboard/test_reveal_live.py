"""A reveal ended from the CLI of an embedded deployment reaches the running server's viewers:
its clock notices, the freeze ends and the private board is pushed to everyone."""

from __future__ import annotations

from pathlib import Path

from tests.actions import Api, drain, watch
from tests.helpers import Proc, cli, end_event_now, seed_env, server_in, wait_for


def test_cli_reveal_reaches_viewers(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    ids = [api.entry("팀0", 0.8, 1), api.entry("팀1", 0.2, 2)]
    for sub_id in ids:
        assert api.finished(sub_id, 30)["status"] == "scored"
    end_event_now(embedded_env)

    viewer, boards = watch(server.url, contest.event)
    assert all(b["board"] == "public" for b in drain(boards))  # nothing private yet
    out = cli(embedded_env, "reveal", contest.event, "--all")
    assert "the private board is public" in out
    private = wait_for(
        lambda: [b for b in drain(boards) if b["board"] == "private"], 15, "the private board"
    )[-1]
    assert {r["team"] for r in private["rows"]} == {"팀0", "팀1"}
    viewer.disconnect()

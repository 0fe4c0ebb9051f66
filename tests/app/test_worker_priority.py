"""``hackjudge worker`` runs below the web node's CPU priority (``HACKJUDGE_WORKER_NICE``,
issue 14): on a machine both share, an upload is answered before the files behind it are
scored."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from redis import Redis

from judge.heartbeat import key
from tests.helpers import Proc, wait_for, worker_in


def nice_of(pid: int) -> int:
    """The process's nice value: the 19th field of ``/proc/PID/stat``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[16])


@pytest.mark.parametrize(
    ("setting", "increment"),
    [
        pytest.param(None, 10, id="by default"),
        pytest.param("0", 0, id="0: the web node's priority"),
        pytest.param("25", 19, id="past the last level: the last"),
    ],
)
def test_a_worker_runs_at_the_priority_its_setting_gives(
    production_env: dict[str, str],
    spawned: list[Proc],
    tmp_path: Path,
    redis_url: str,
    setting: str | None,
    increment: int,
) -> None:
    env = dict(production_env)
    env.pop("HACKJUDGE_WORKER_NICE", None)
    if setting is not None:
        env["HACKJUDGE_WORKER_NICE"] = setting
    worker = worker_in(env, spawned, tmp_path, "worker")
    # Its heartbeat beats once the worker is set up, its priority with it.
    redis = Redis.from_url(redis_url)
    wait_for(
        lambda: redis.exists(key(f"{socket.gethostname()}:{worker.popen.pid}")),
        60,
        f"the worker's heartbeat\n{worker.output()}",
    )
    assert nice_of(worker.popen.pid) == min(19, os.nice(0) + increment)

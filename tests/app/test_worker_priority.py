"""A scoring ``hackjudge worker`` runs below the web node's CPU priority
(``HACKJUDGE_WORKER_NICE``, issue 14): on a machine both share, an upload is answered before the
files behind it are scored. A code worker keeps its priority: a program's time limit is
wall-clock time."""

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
    ("setting", "queue", "increment"),
    [
        pytest.param(None, None, 10, id="by default"),
        pytest.param("0", None, 0, id="0: the web node's priority"),
        pytest.param("-5", None, 0, id="below 0: never above the web node's"),
        pytest.param("25", None, 19, id="past the last level: the last"),
        pytest.param(None, "code", 0, id="a code worker keeps its priority"),
    ],
)
def test_a_worker_runs_at_the_priority_its_setting_gives(
    production_env: dict[str, str],
    spawned: list[Proc],
    tmp_path: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    setting: str | None,
    queue: str | None,
    increment: int,
) -> None:
    # Room above the test's own level for every case to tell its increment from none.
    assert os.nice(0) + 10 <= 19, "run the tests at a nice value of 9 or less"
    monkeypatch.delenv("HACKJUDGE_WORKER_NICE", raising=False)  # spawn passes os.environ on
    env = dict(production_env)
    if setting is not None:
        env["HACKJUDGE_WORKER_NICE"] = setting
    worker = worker_in(env, spawned, tmp_path, "worker", queue=queue)
    # Its heartbeat beats once the worker is set up, its priority with it.
    redis = Redis.from_url(redis_url)
    wait_for(
        lambda: redis.exists(key(f"{socket.gethostname()}:{worker.popen.pid}")),
        60,
        f"the worker's heartbeat\n{worker.output()}",
    )
    assert nice_of(worker.popen.pid) == min(19, os.nice(0) + increment)

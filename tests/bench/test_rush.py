"""``bench/rush.py`` as a developer runs it, small: both systems take the whole load and lose
nothing (the counts only; its timings are the bench's business, not the suite's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_small_rush_is_taken_whole_by_the_floor_and_the_platform(
    tmp_path: Path, postgres_admin_url: str, redis_url: str
) -> None:
    out = tmp_path / "rush.json"
    done = subprocess.run(
        [
            sys.executable,
            "bench/rush.py",
            "--teams",
            "6",
            "--files",
            "15",
            "--rows",
            "2000",
            "--seconds",
            "3",
            "--runs",
            "1",
            "--json",
            str(out),
        ],  # fmt: skip
        cwd=ROOT,
        env={
            "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
            "HACKJUDGE_BENCH_POSTGRES": postgres_admin_url,
            "HACKJUDGE_BENCH_REDIS": redis_url,
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    (run,) = result["runs"]
    for system in ("floor", "hackjudge"):
        figures = run[system]
        assert figures["uploads"] == 15
        assert figures["accepted"] == 15, figures["refused"]
        assert figures["finished"] == 15
        assert figures["stored"] == 15
        assert figures["lost"] == 0 and figures["duplicated"] == 0
        # Every accepted file was seen on the board by the viewer.
        assert figures["pushed"] == 15
        assert figures["queue_per_5s"]  # the depth was sampled
    assert set(result["summary"]["ratios"]) >= {"http_202_p99_ms", "push_p99_ms"}

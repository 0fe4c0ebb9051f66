"""``bench/rush.py`` as a developer runs it, small: both systems take the whole load and lose
nothing (the counts only; its timings are the bench's business, not the suite's), with one pool
of workers, and with two pools compared whose workers reach PostgreSQL across the delay link."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("options", "systems"),
    [
        pytest.param([], ["floor", "hackjudge"], id="one pool"),
        pytest.param(
            ["--workers", "1,2", "--db-rtt-ms", "4"],
            ["floor/1w", "hackjudge/1w", "floor/2w", "hackjudge/2w"],
            id="two pools across a link to PostgreSQL",
        ),
    ],
)
def test_a_small_rush_is_taken_whole_by_the_floor_and_the_platform(
    tmp_path: Path, postgres_admin_url: str, redis_url: str, options: list[str], systems: list[str]
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
            *options,
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
    assert list(run) == systems
    for system in systems:
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
    if "--db-rtt-ms" in options:
        # Every worker's connections crossed the link (6 workers in all), besides the bench's
        # own round trips that measure it.
        assert result["link_connections"] >= 1 + 6
        assert set(result["summary"]["pools/2w"]["hackjudge"]) >= {"push_p50_ms", "push_p99_ms"}

"""``bench/rush.py`` as a developer runs it, small: both systems take the whole load and lose
nothing (the counts only; its timings are the bench's business, not the suite's), with one pool
of workers, with two pools compared whose workers reach PostgreSQL across the delay link, and with
one web node against two."""

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
        pytest.param(
            ["--web-nodes", "1,2", "--runs", "2"],
            ["floor/1n", "hackjudge/1n", "floor/2n", "hackjudge/2n"],
            id="one web node against two",
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
            "--json",
            str(out),
            *(options if "--runs" in options else [*options, "--runs", "1"]),
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
    runs = result["runs"]
    assert len(runs) == (2 if "--runs" in options else 1)
    for run in runs:
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
    summary = result["summary"]
    assert set(summary["ratios"]) >= {"http_202_p99_ms", "push_p99_ms"}
    if "--db-rtt-ms" in options:
        # Every worker's connections crossed the link (6 workers in all), besides the bench's
        # own round trips that measure it.
        assert result["link_connections"] >= 1 + 6
        assert set(summary["compared/2w"]["hackjudge"]) >= {"push_p50_ms", "push_p99_ms"}
    if "--web-nodes" in options:
        assert [run["hackjudge/2n"]["web_nodes"] for run in runs] == [2, 2]
        compared = summary["compared/2n"]
        # Each run's two layouts, paired: one ratio a run, and their median.
        assert len(compared["runs"]) == 2
        for system in ("floor", "hackjudge"):
            each = [run[system]["push_p99_ms"] for run in compared["runs"]]
            assert all(ratio > 0 for ratio in each)
            assert compared["paired"][system]["push_p99_ms"] == pytest.approx(sum(each) / 2)

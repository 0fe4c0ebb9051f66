"""One web node of a deployment ticks the board clock (issue 14): it holds a lease in Redis
and renews it each tick; the others stand by and take it once it runs out; with Redis away,
every node ticks, as a lone node would."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from app.runtime import CLOCK_LEASE_SECONDS, clock_lease, holds_clock
from config import Settings
from tests.helpers import wait_for
from tests.services import free_port


def test_one_node_holds_the_clock_and_renews_it(redis_url: str, tmp_path: Path) -> None:
    redis = Redis.from_url(redis_url)
    settings = Settings(instance_dir=tmp_path, socketio_channel="deployment-a")
    node_a, node_b = clock_lease(redis, settings), clock_lease(redis, settings)
    assert holds_clock(node_a)
    assert not holds_clock(node_b)
    redis.pexpire(node_a.name, 200)  # about to run out, had A stopped renewing it
    assert holds_clock(node_a)  # A's tick renews it to the whole lease
    assert redis.pttl(node_a.name) > 200
    assert redis.pttl(node_a.name) <= CLOCK_LEASE_SECONDS * 1000
    assert not holds_clock(node_b)
    # Another deployment on the same Redis has a clock of its own.
    other = Settings(instance_dir=tmp_path, socketio_channel="deployment-b")
    assert holds_clock(clock_lease(redis, other))


def test_a_node_standing_by_takes_the_clock_once_the_lease_runs_out(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    # Node A ticks, then goes away without a word (killed): its lease is left to run out.
    gone = redis.lock("hackjudge:test-clock:clock", timeout=0.3, thread_local=False)
    standing_by = redis.lock("hackjudge:test-clock:clock", timeout=0.3, thread_local=False)
    assert holds_clock(gone)
    assert not holds_clock(standing_by)
    wait_for(lambda: holds_clock(standing_by), 5, "node B to take the clock")
    # Node A, back (a pause, not a death), finds it taken and stands by in its turn.
    assert not holds_clock(gone)
    assert holds_clock(standing_by)


def test_with_redis_away_every_node_ticks(tmp_path: Path) -> None:
    nobody = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    settings = Settings(instance_dir=tmp_path, socketio_channel="deployment-a")
    assert holds_clock(clock_lease(nobody, settings))

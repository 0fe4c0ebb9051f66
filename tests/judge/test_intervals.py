"""The bootstrap intervals wait for a quiet spell (issue 14): a worker that has just scored
takes the next scoring job before any interval, and turns to the intervals only once no
scoring job has come for ``QUIET_S``; an idle worker takes them at once. And in production
every scored file still gets its interval, computed by the worker after the score."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from judge.runner import interval_queue_name
from judge.worker import QUIET_S, JudgeWorker
from tests.actions import Api
from tests.helpers import Proc, seed_env, server_in, wait_for, worker_in


@pytest.fixture
def queues(redis_url: str) -> Iterator[tuple[JudgeWorker, Queue, Queue]]:
    redis = Redis.from_url(redis_url)
    scores = Queue("quiet-test", connection=redis)
    intervals = Queue(interval_queue_name("quiet-test"), connection=redis)
    worker = JudgeWorker([scores, intervals], connection=redis)
    worker.scores_only = [scores]
    worker.quiet_key = "quiet-test:last-scoring-job"
    redis.delete(worker.quiet_key)
    yield worker, scores, intervals
    scores.empty()
    intervals.empty()
    redis.delete(worker.quiet_key)


def test_a_busy_worker_takes_the_scores_first(queues: tuple) -> None:
    worker, scores, intervals = queues
    worker._took_a_score()  # it has just scored
    interval = intervals.enqueue("judge.jobs.compute_interval", 1)
    score = scores.enqueue("judge.jobs.score_submission", 2)
    job, queue = worker.dequeue_job_and_maintain_ttl(5)
    assert (job.id, queue.name) == (score.id, scores.name)
    # Nothing else to score: the interval comes, but only after a quiet spell.
    job, queue = worker.dequeue_job_and_maintain_ttl(5)
    assert (job.id, queue.name) == (interval.id, intervals.name)
    assert time.time() - worker._last_score_at >= QUIET_S


def test_a_worker_waits_for_the_deployment_s_quiet_spell(queues: tuple, redis_url: str) -> None:
    """Another worker took a scoring job just now: this one, idle for long, waits too."""
    worker, _scores, intervals = queues
    other = JudgeWorker([intervals], connection=Redis.from_url(redis_url))
    other.quiet_key = worker.quiet_key
    other._took_a_score()
    interval = intervals.enqueue("judge.jobs.compute_interval", 4)
    job, _queue = worker.dequeue_job_and_maintain_ttl(5)
    assert job.id == interval.id
    assert time.time() - other._last_score_at >= QUIET_S


def test_an_idle_worker_takes_the_intervals_at_once(queues: tuple) -> None:
    worker, _scores, intervals = queues
    interval = intervals.enqueue("judge.jobs.compute_interval", 3)
    asked = time.monotonic()
    job, _queue = worker.dequeue_job_and_maintain_ttl(1)
    assert job.id == interval.id
    assert time.monotonic() - asked < QUIET_S  # it did not wait for a spell it already had


def test_every_scored_file_gets_its_interval_in_production(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(production_env, tmp_path, teams=3, rows=300)
    server = server_in(production_env, spawned, tmp_path, "web")
    worker_in(production_env, spawned, tmp_path, "worker")
    api = Api(server, contest)
    # Never a perfect public AUC, whose interval is the point 1.0 (the split is random).
    ids = [api.entry(team, 0.8) for team in contest.tokens]
    for sub_id in ids:
        scored = api.finished(sub_id, token=contest.staff_tokens["judge"])
        assert scored["status"] == "scored"
    for sub_id in ids:
        row = wait_for(
            lambda s=sub_id: (r := api.submission(s))["public_ci"] is not None and r,
            60,
            f"the interval of {sub_id}",
        )
        low, high = row["public_ci"]
        assert low <= row["public_score"] <= high and low < high

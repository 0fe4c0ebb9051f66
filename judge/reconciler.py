"""The database is the source of truth: re-dispatch submissions whose job was lost, and sweep
files no submission names.

Lost jobs: a Redis restart forgets queued jobs; a SIGKILLed worker leaves a row in
``scoring`` and its heartbeat lapses; a job that ended while the database was away leaves its
row ``scoring`` too (its write failed, and so did its failure callback), though its worker is
alive: the worker's heartbeat says it no longer holds that row (issue 12). All are found here
and dispatched again (the job skips finished rows).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import LockError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.queue import Queue
from sqlalchemy import select

from core.db import Database, utcnow
from core.models import IN_A_WORKER, Status, Submission, Task, TaskKind
from judge import heartbeat
from judge.heartbeat import Holding
from judge.runner import Dispatcher, job_id

log = logging.getLogger(__name__)
ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
# This process's reconciler: since when each queued row's job has been in limbo.
_limbo_since: dict[int, datetime] = {}


def unfinished(
    db: Database, now: datetime, grace: timedelta
) -> tuple[list[int], list[tuple[int, str, datetime]], dict[int, str]]:
    """Ids queued for longer than ``grace``; (id, worker, started) of rows in a worker (scoring,
    or a code task's running) for longer; the status of each of the latter."""
    with db.begin() as session:
        queued = session.scalars(
            select(Submission.id).where(
                Submission.status == Status.QUEUED, Submission.created_at < now - grace
            )
        ).all()
        taken = session.execute(
            select(
                Submission.id, Submission.worker, Submission.started_at, Submission.status
            ).where(Submission.status.in_(IN_A_WORKER), Submission.started_at < now - grace)
        ).all()
    statuses = {i: status for i, _w, _s, status in taken}
    return list(queued), [(i, w, s) for i, w, s, _status in taken], statuses


def _code_tasks_of(db: Database, ids: list[int]) -> set[int]:
    """Which of these submissions are a code task's (their job is on the code queue)."""
    with db.begin() as session:
        return set(
            session.scalars(
                select(Submission.id)
                .join(Task, Task.id == Submission.task_id)
                .where(Submission.id.in_(ids), Task.kind == TaskKind.CODE)
            )
        )


def scoring_row_lost(
    submission_id: int,
    worker: str,
    started_at: datetime,
    now: datetime,
    held: Mapping[str, Holding],
    *,
    beats_settled: bool,
    stale_after: timedelta | None,
) -> bool:
    """Is nobody scoring this ``scoring`` row any more?

    Its worker's heartbeat lapsed (once beats had time to come back after a Redis restart),
    or the live worker holds another submission or none; a worker that does not say what it
    holds (an older release) is trusted until the row is older than ``stale_after``.
    """
    holding = held.get(worker)
    if holding is None:
        return beats_settled
    if holding.known:
        return holding.submission_id != submission_id
    return stale_after is not None and started_at < now - stale_after


WAITING, LOST, LIMBO = "waiting", "lost", "limbo"


def queued_row_state(
    status: JobStatus | None,
    in_queue: bool,
    submission_id: int,
    held: Mapping[str, Holding],
    *,
    beats_settled: bool,
) -> str:
    """What became of the job of a ``queued`` row: ``waiting``, ``lost``, or ``limbo``.

    ``status`` is its RQ job's (None: no job), ``in_queue`` whether its id is in the queue's
    list. Gone (Redis restarted, or RQ gave the job up) is ``lost``. A job taken from the queue
    whose row never said ``scoring`` (its worker was killed between RQ's dequeue and the job's
    first write) sits in RQ's intermediate list or started registry until RQ's maintenance
    finds it, ten minutes or more later: ``limbo`` when no live worker holds it, if every
    worker says what it holds; lost once still so a pass later (a worker holds its job a
    moment after taking it).
    """
    if status is None or status not in ALIVE:
        return LOST
    in_hand = status == JobStatus.STARTED or (status == JobStatus.QUEUED and not in_queue)
    if not in_hand or not beats_settled or not all(h.known for h in held.values()):
        return WAITING
    if any(h.submission_id == submission_id for h in held.values()):
        return WAITING
    return LIMBO


def _job_state(
    redis: Redis, submission_id: int, waiting: dict[str, set[str]]
) -> tuple[JobStatus | None, bool]:
    """The row's RQ job status, and whether its id is in its queue's list (``waiting``: the
    ids in each queue, read once per pass)."""
    try:
        job = Job.fetch(job_id(submission_id), connection=redis)
    except NoSuchJobError:
        return None, False
    status = job.get_status(refresh=False)  # as fetched: the job may vanish meanwhile
    if status != JobStatus.QUEUED:
        return status, False
    if job.origin not in waiting:
        key = Queue(job.origin, connection=redis).key
        waiting[job.origin] = {i.decode() for i in redis.lrange(key, 0, -1)}
    return status, job.id in waiting[job.origin]


def _forget_job(redis: Redis, submission_id: int) -> None:
    """Drop what RQ still holds of a lost job (a retry scheduled by a job that then lost its
    row, a started entry), so the new dispatch is the only delivery."""
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(job_id(submission_id), connection=redis).delete()


def beats_settled(redis: Redis) -> bool:
    """Has Redis been up long enough for every live worker to have beaten since it started?
    Right after a restart every heartbeat is missing, worker dead or not."""
    uptime = int(redis.info("server").get("uptime_in_seconds", 0))
    return uptime > heartbeat.TTL_SECONDS


PASS_LOCK = "hackjudge:reconcile"
PASS_LOCK_SECONDS = 120  # a pass that died holding the lock frees it after this


@contextlib.contextmanager
def one_pass_at_a_time(redis: Redis | None) -> Iterator[bool]:
    """Whether this process may run a pass now: with several web nodes, one at a time (two
    overlapping passes could each re-dispatch the row the other just re-dispatched)."""
    if redis is None:  # embedded: one process
        yield True
        return
    lock = redis.lock(PASS_LOCK, timeout=PASS_LOCK_SECONDS)
    mine = lock.acquire(blocking=False)
    try:
        yield mine
    finally:
        if mine:
            with contextlib.suppress(LockError):
                lock.release()


def reconcile(
    db: Database,
    dispatcher: Dispatcher,
    *,
    redis: Redis | None,
    grace: timedelta = timedelta(seconds=15),
    everything: bool = False,
    stale_after: timedelta | None = None,
    limbo: dict[int, datetime] | None = None,
) -> list[int]:
    """Dispatch again every submission whose job is gone; returns their ids.

    Production: a queued row whose RQ job is missing, or taken by a worker that died before
    the row said so (``queued_row_state``; ``limbo`` remembers since when, across passes), a
    scoring row nobody holds (``scoring_row_lost``). ``everything`` (embedded start-up) takes
    every unfinished row: the threads that held them died with the previous process.
    """
    now = utcnow()
    queued, scoring, statuses = unfinished(db, now, timedelta(0) if everything else grace)
    if redis is None:
        lost = queued + [i for i, _w, _s in scoring] if everything else []
    else:
        waiting: dict[str, set[str]] = {}
        states = {i: _job_state(redis, i, waiting) for i in queued}
        # Read after the jobs: a worker that took one meanwhile already says it holds it.
        held = heartbeat.holdings(redis)
        settled = beats_settled(redis)
        verdicts = {
            i: queued_row_state(status, in_queue, i, held, beats_settled=settled)
            for i, (status, in_queue) in states.items()
        }
        lost = [i for i, verdict in verdicts.items() if verdict == LOST]
        in_limbo = {i for i, verdict in verdicts.items() if verdict == LIMBO}
        lost += _limbo_lost(in_limbo, _limbo_since if limbo is None else limbo, now, grace)
        lost += [
            i
            for i, worker, started in scoring
            if scoring_row_lost(
                i, worker, started, now, held, beats_settled=settled, stale_after=stale_after
            )
        ]
    if lost:
        # What each row was when read: a scoring row is also named by who took it and when, so
        # one that went back to the queue and was taken again meanwhile (an RQ retry) is new.
        seen = {i: (Status.QUEUED, None, None) for i in queued} | {
            i: (statuses[i], w, s) for i, w, s in scoring
        }
        with db.begin() as session:
            rows = session.scalars(
                select(Submission).where(Submission.id.in_(lost)).with_for_update()
            ).all()
            # Only rows still as seen: one scored meanwhile must not go back to the queue.
            still = [sub for sub in rows if _as_seen(sub, seen[sub.id])]
            for sub in still:
                sub.status = Status.QUEUED
            lost = [sub.id for sub in still]
        code = _code_tasks_of(db, lost)
        for submission_id in lost:
            if redis is not None:
                _forget_job(redis, submission_id)
            dispatcher.enqueue(submission_id, code=submission_id in code)
        if lost:
            log.warning("re-dispatched %d submissions whose jobs were lost: %s", len(lost), lost)
    return lost


def _as_seen(sub: Submission, seen: tuple[str, str | None, datetime | None]) -> bool:
    status, worker, started = seen
    if status == Status.QUEUED:
        return sub.status == Status.QUEUED
    return sub.status == status and sub.worker == worker and sub.started_at == started


def _limbo_lost(
    now_in_limbo: set[int], since: dict[int, datetime], now: datetime, grace: timedelta
) -> list[int]:
    """Those in limbo since ``grace`` ago or more (``since`` is kept up to date in place)."""
    for gone in set(since) - now_in_limbo:
        del since[gone]
    for submission_id in now_in_limbo:
        since.setdefault(submission_id, now)
    return sorted(i for i in now_in_limbo if now - since[i] >= grace)

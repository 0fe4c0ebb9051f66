"""The database is the source of truth: re-dispatch submissions whose job was lost.

A Redis restart forgets queued jobs; a SIGKILLed worker leaves a row in ``scoring``.
Both are found here and dispatched again (the job skips rows already finished).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from app.db import Database, utcnow
from app.models import Status, Submission
from judge.runner import Dispatcher, job_id

log = logging.getLogger(__name__)
ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def stale_ids(
    db: Database, now: datetime, *, scoring_timeout: timedelta, grace: timedelta
) -> tuple[list[int], list[int]]:
    """Ids queued for longer than ``grace``, and ids in ``scoring`` past the job timeout."""
    with db.begin() as session:
        queued = session.scalars(
            select(Submission.id).where(
                Submission.status == Status.QUEUED, Submission.created_at < now - grace
            )
        ).all()
        stuck = session.scalars(
            select(Submission.id).where(
                Submission.status == Status.SCORING,
                Submission.started_at < now - scoring_timeout,
            )
        ).all()
    return list(queued), list(stuck)


def _job_alive(redis: Redis, submission_id: int) -> bool:
    try:
        return Job.fetch(job_id(submission_id), connection=redis).get_status() in ALIVE
    except NoSuchJobError:
        return False


def reconcile(
    db: Database,
    dispatcher: Dispatcher,
    *,
    redis: Redis | None,
    job_timeout: int,
    grace: timedelta = timedelta(seconds=30),
    everything: bool = False,
) -> list[int]:
    """Dispatch again every submission whose job is gone; returns their ids.

    ``everything`` (embedded start-up) re-dispatches every unfinished row: the threads
    that held them died with the previous process.
    """
    now = utcnow()
    if everything:
        grace = timedelta(0)
        scoring_timeout = timedelta(0)
    else:
        scoring_timeout = timedelta(seconds=job_timeout + 60)
    queued, stuck = stale_ids(db, now, scoring_timeout=scoring_timeout, grace=grace)
    lost = [i for i in queued if redis is None or not _job_alive(redis, i)]
    lost += [i for i in stuck if redis is None or not _job_alive(redis, i) or everything]
    if lost:
        with db.begin() as session:
            for sub in session.scalars(select(Submission).where(Submission.id.in_(lost))):
                sub.status = Status.QUEUED
        for submission_id in lost:
            dispatcher.enqueue(submission_id)
        log.warning("re-dispatched %d submissions whose jobs were lost: %s", len(lost), lost)
    return lost

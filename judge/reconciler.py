"""The database is the source of truth: re-dispatch submissions whose job was lost.

A Redis restart forgets queued jobs; a SIGKILLed worker leaves a row in ``scoring`` and its
heartbeat lapses. Both are found here and dispatched again (the job skips finished rows).
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
from judge import heartbeat
from judge.runner import Dispatcher, job_id

log = logging.getLogger(__name__)
ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def unfinished(
    db: Database, now: datetime, grace: timedelta
) -> tuple[list[int], list[tuple[int, str]]]:
    """Ids queued for longer than ``grace``; (id, worker) of rows scoring for longer."""
    with db.begin() as session:
        queued = session.scalars(
            select(Submission.id).where(
                Submission.status == Status.QUEUED, Submission.created_at < now - grace
            )
        ).all()
        scoring = session.execute(
            select(Submission.id, Submission.worker).where(
                Submission.status == Status.SCORING, Submission.started_at < now - grace
            )
        ).all()
    return list(queued), [(i, w) for i, w in scoring]


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
    grace: timedelta = timedelta(seconds=15),
    everything: bool = False,
) -> list[int]:
    """Dispatch again every submission whose job is gone; returns their ids.

    Production: a queued row whose RQ job is missing, a scoring row whose worker's heartbeat
    lapsed. ``everything`` (embedded start-up) takes every unfinished row: the threads that
    held them died with the previous process.
    """
    queued, scoring = unfinished(db, utcnow(), timedelta(0) if everything else grace)
    if redis is None:
        lost = queued + [i for i, _w in scoring] if everything else []
    else:
        lost = [i for i in queued if not _job_alive(redis, i)]
        lost += [i for i, worker in scoring if not heartbeat.alive(redis, worker)]
    if lost:
        seen = {i: Status.QUEUED for i in queued} | {i: Status.SCORING for i, _w in scoring}
        with db.begin() as session:
            rows = session.scalars(
                select(Submission).where(Submission.id.in_(lost)).with_for_update()
            ).all()
            # Only rows still as seen: one scored meanwhile must not go back to the queue.
            still = [sub for sub in rows if sub.status == seen[sub.id]]
            for sub in still:
                sub.status = Status.QUEUED
            lost = [sub.id for sub in still]
        for submission_id in lost:
            dispatcher.enqueue(submission_id)
        log.warning("re-dispatched %d submissions whose jobs were lost: %s", len(lost), lost)
    return lost

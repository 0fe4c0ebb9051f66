"""The scoring job: one submission id in, the row updated and the boards pushed out.

The same function runs in an RQ worker (production) and in the server's threads
(embedded); both set up a :class:`JudgeContext` first. The database row mirrors the job.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import make_transient_to_detached

from core.db import Database, utcnow
from core.errors import ParticipantVisibleError
from core.models import FINISHED, JUDGED, Status, Submission, Task
from judge.scoring import ScoreResult, score
from judge.standings import landing, recount
from judge.truth import SolutionCache

log = logging.getLogger(__name__)
# A file that kills its worker (out of memory, say) must not take every worker down in turn.
MAX_ATTEMPTS = 3


class Publishing(Protocol):
    """Where the jobs tell what changed (``scoreboard.publish.Publisher``, given by the
    process that runs them: the scoreboard sits above the judge, not beneath it)."""

    def submission(self, sub: Submission, task: Task) -> None: ...

    def task_changed(self, task_id: int) -> None: ...

    def rescore_progress(self, event_slug: str, data: dict[str, Any]) -> None: ...


@dataclass
class JudgeContext:
    db: Database
    storage_dir: Path
    publisher: Publishing
    solutions: SolutionCache = field(default_factory=SolutionCache)
    worker_name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # Where a scored file's bootstrap interval is computed: None, right after the score in the
    # same job (embedded mode); a worker gives a function that queues it behind the scoring
    # jobs (``judge.runner.RQDispatcher.enqueue_interval``), so a rush's scores never wait on
    # the intervals of the files before them (issue 14: the interval was 57% of a worker's
    # time, the score 8%).
    defer_interval: Callable[[int], None] | None = None


_context: JudgeContext | None = None


def set_context(context: JudgeContext) -> None:
    global _context
    _context = context


def get_context() -> JudgeContext:
    if _context is None:
        raise RuntimeError("judge context not configured (hackjudge worker sets it up)")
    return _context


def start(
    ctx: JudgeContext, submission_id: int, status: Status = Status.SCORING
) -> tuple[Submission, Task] | None:
    """The row taken for this attempt (``status``, by this worker), or None: done already, or
    given up after ``MAX_ATTEMPTS``.

    Its own commit, before any scoring: a worker killed mid-job leaves the row ``scoring``
    with its attempt counted, which the reconciler finds (docs/architecture.md). The usual
    case is one statement committing itself (the row taken and its task read back, issue 14:
    there were three, and a BEGIN and a COMMIT); a row that is not to be taken is looked at
    again under its lock, in a transaction, to say why.
    """
    take = (
        update(Submission)
        .where(
            Submission.id == submission_id,
            Submission.status.not_in(FINISHED),
            Submission.attempts < MAX_ATTEMPTS,
        )
        .values(
            status=status,
            attempts=Submission.attempts + 1,
            worker=ctx.worker_name,
            started_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    with ctx.db.each_statement() as session:
        # SQLite's RETURNING names no column of the FROM table: there the task is a read more.
        if session.get_bind().dialect.name == "postgresql":
            taken = session.execute(
                take.where(Task.id == Submission.task_id).returning(Submission, Task)
            ).first()
            if taken is not None:
                return taken[0], taken[1]
        elif (row := session.scalars(take.returning(Submission)).first()) is not None:
            task = session.get(Task, row.task_id)
            assert task is not None
            return row, task
    with ctx.db.begin() as session:
        sub = session.get(Submission, submission_id, with_for_update=True)
        if sub is None or sub.status in FINISHED:
            return None  # a duplicate delivery of a job already done
        if sub.attempts < MAX_ATTEMPTS:  # changed between the two statements: try again
            session.rollback()
            return start(ctx, submission_id, status)
        sub.status = Status.FAILED
        sub.staff_error = (
            f"gave up after {sub.attempts} attempts: the scoring process died each time "
            "(killed, out of memory?)"
        )
        sub.finished_at = utcnow()
        given_up = session.get(Task, sub.task_id)
        assert given_up is not None
        recount(session, given_up, sub.team_id)  # a failed file counts no attempt
        return None


def evaluate(
    ctx: JudgeContext, task: Task, sub: Submission, *, with_ci: bool = True
) -> tuple[dict[str, Any], ScoreResult | None]:
    """The column values scoring ``sub`` against the task's current truth and metric gives.

    A participant-visible problem makes it ``invalid``; any other exception propagates as a
    platform fault. Without ``with_ci`` the result's ``compute_ci`` gives the CI afterwards.
    """
    solution = ctx.solutions.of(task)
    data = (ctx.storage_dir / sub.scored_path).read_bytes()
    provenance = {"scored_metric": task.metric, "scored_truth_sha256": task.truth_sha256}
    try:
        result = score(solution, data, sub.scored_filename, with_ci=with_ci)
    except ParticipantVisibleError as exc:
        if not exc.template:  # a custom metric refused the file without a word
            exc = ParticipantVisibleError("The task's metric refused the file without saying why.")
        return {
            "status": Status.INVALID,
            "error": exc.english(),
            "error_detail": exc.detail(),
            "public_score": None,
            "private_score": None,
            "public_ci_low": None,
            "public_ci_high": None,
            **provenance,
        }, None
    return {
        "status": Status.SCORED,
        "error": "",
        "error_detail": None,
        "public_score": result.public_score,
        "private_score": result.private_score,
        "public_ci_low": result.public_ci[0] if result.public_ci else None,
        "public_ci_high": result.public_ci[1] if result.public_ci else None,
        "scoring_ms": sum(result.timings_ms.values()),
        **provenance,
    }, result


def score_submission(submission_id: int) -> str:
    """Score one submission and publish the result; returns the final status."""
    ctx = get_context()
    started = start(ctx, submission_id)
    if started is None:
        return "skipped"
    sub, task = started
    ctx.publisher.submission(sub, task)
    # The score goes out first; its bootstrap CI (tens of ms) follows in a second write.
    updates, result = evaluate(ctx, task, sub, with_ci=False)
    return land(ctx, submission_id, task, updates, result)


def land(
    ctx: JudgeContext,
    submission_id: int,
    task: Task,
    updates: dict[str, Any],
    result: ScoreResult | None,
) -> str:
    """Write a job's verdict (``updates``) with the team's standing, publish it, and see to
    the interval of a scored file; returns the final status."""
    # staff_error: a fault of an earlier attempt; ``updates`` may say more.
    values = {"staff_error": "", **updates, "finished_at": utcnow()}
    with ctx.db.begin() as session:
        # The team's best is recounted with the score, in one commit.
        if session.get_bind().dialect.name == "postgresql":
            # The row's write and the standing's lock in one statement, then the count.
            verdict = update(Submission.__table__).where(Submission.id == submission_id)
            row = session.execute(landing(verdict.values(values))).one()
            sub = Submission(**row._mapping)
            make_transient_to_detached(sub)
            session.add(sub)
            recount(session, task, sub.team_id, locked=True)
        else:
            # One statement for the row (it was a locked read, then the write).
            sub = session.scalars(
                update(Submission)
                .where(Submission.id == submission_id)
                .values(values)
                .returning(Submission)
                .execution_options(synchronize_session=False)
            ).one()
            recount(session, task, sub.team_id)
    ctx.publisher.submission(sub, task)
    # Invalid files change attempt counts too; the board pushes only if a visible row moved.
    ctx.publisher.task_changed(task.id)
    if result is not None:
        if ctx.defer_interval is not None and result.ci_later is not None:
            ctx.defer_interval(submission_id)
        else:
            _store_interval(ctx, submission_id, result)
    return str(sub.status)


def _store_interval(ctx: JudgeContext, submission_id: int, result: ScoreResult) -> None:
    """The bootstrap interval of a scored file, kept if its score is still the one scored
    (one statement: the condition is in its WHERE)."""
    if (ci := result.compute_ci()) is None:
        return
    scored = result.public_score
    if scored is not None and math.isnan(scored):
        return  # NaN equals nothing (as in Python before); it never ranks anyway
    same = (
        Submission.public_score.is_(None) if scored is None else Submission.public_score == scored
    )
    with ctx.db.each_statement() as session:
        session.execute(
            update(Submission)
            .where(Submission.id == submission_id, same)
            .values(
                public_ci_low=ci[0],
                public_ci_high=ci[1],
                scoring_ms=func.coalesce(Submission.scoring_ms, 0) + result.timings_ms.get("ci", 0),
            )
            .execution_options(synchronize_session=False)
        )


def compute_interval(submission_id: int) -> str:
    """The interval job (served in a quiet spell, ``judge.worker.JudgeWorker``): the file
    scored again, without the boards or the status, for its public score's interval."""
    ctx = get_context()
    with ctx.db.each_statement() as session:
        found = session.execute(
            select(Submission, Task)
            .join(Task, Task.id == Submission.task_id)
            .where(Submission.id == submission_id)
        ).first()
        if found is None:
            return "skipped"
        sub, task = found
        if sub.status != Status.SCORED or sub.public_ci_low is not None:
            return "skipped"  # rescored, rejudged or done meanwhile
    _updates, result = evaluate(ctx, task, sub, with_ci=False)
    if result is None:
        return "skipped"
    _store_interval(ctx, submission_id, result)
    return "done"


def record_fault(submission_id: int, error: str, *, final: bool) -> None:
    """A platform fault: back to the queue for another try, or ``failed`` after the last."""
    ctx = get_context()
    with ctx.db.begin() as session:
        sub = session.get(Submission, submission_id, with_for_update=True)
        if sub is None or sub.status in JUDGED:
            return
        sub.staff_error = error[-4000:]
        sub.status = Status.FAILED if final else Status.QUEUED
        if final:
            sub.finished_at = utcnow()
        task = session.get(Task, sub.task_id)
        if task is not None:
            recount(session, task, sub.team_id)
    if task is not None:
        ctx.publisher.submission(sub, task)
        ctx.publisher.task_changed(task.id)


def on_rq_failure(job: Any, connection: Any, exc_type: type, exc: BaseException, tb: Any) -> None:
    """RQ failure callback: the database row mirrors the job's fate."""
    error = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("scoring job %s failed: %s", job.id, error)
    record_fault(int(job.args[0]), error, final=not job.should_retry)

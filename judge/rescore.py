"""Rescoring every submission of a task after its truth or metric changed (SPEC §4).

A background job (RQ in production, a thread in embedded mode, inline for the CLI). The
``rescore_runs`` row mirrors its progress; each replaced score is kept in ``score_history``;
staff get ``rescore`` progress events; the boards are pushed once at the end.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from core.db import utcnow
from core.models import (
    JUDGED,
    Event,
    RescoreRun,
    RunStatus,
    ScoreHistory,
    Status,
    Submission,
    Task,
)
from judge.code_runs import hidden_output_refusal
from judge.jobs import JudgeContext, evaluate, get_context
from judge.standings import recount, recount_task

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5

Progress = Callable[[int, int], None]


def _emit(ctx: JudgeContext, event_slug: str, run: RescoreRun, task: Task) -> None:
    ctx.publisher.rescore_progress(
        event_slug,
        {
            "event": event_slug,
            "task": task.slug,
            "run": run.id,
            "status": run.status,
            "done": run.done,
            "total": run.total,
            "changed": run.changed,
        },
    )


def _rescore_one(ctx: JudgeContext, task: Task, submission_id: int, run_id: int) -> bool:
    """Rescore one submission, keeping its old scores; True when its scores changed."""
    with ctx.db.begin() as session:
        sub = session.get(Submission, submission_id, with_for_update=True)
        if sub is None or sub.status not in JUDGED:
            return False
        if task.is_code and sub.output_path is None:
            return False  # its program wrote nothing to score (a crash, a time limit): as it was
        before = (sub.status, sub.public_score, sub.private_score)
        try:
            updates, _result = evaluate(ctx, task, sub)
        except Exception:
            sub.staff_error = "rescore: " + traceback.format_exc()[-3000:]
            return False
        if task.is_code:
            # The output of a program run on the hidden inputs: the validator's words quote its
            # cells, which the program may have filled with those inputs (as after the run).
            if updates["status"] == Status.INVALID:
                updates |= hidden_output_refusal(updates["error"])
            else:
                updates["staff_error"] = ""  # an earlier refusal no longer stands
        session.add(
            ScoreHistory(
                submission_id=sub.id,
                rescore_run_id=run_id,
                status=sub.status,
                error=sub.error,
                error_detail=sub.error_detail,
                public_score=sub.public_score,
                private_score=sub.private_score,
                public_ci_low=sub.public_ci_low,
                public_ci_high=sub.public_ci_high,
                metric=sub.scored_metric or task.metric,
                truth_sha256=sub.scored_truth_sha256,
                scored_at=sub.finished_at,
            )
        )
        for key, value in updates.items():
            setattr(sub, key, value)
        sub.finished_at = utcnow()
        changed = (sub.status, sub.public_score, sub.private_score) != before
        if changed:
            recount(session, task, sub.team_id)
        return changed


def rescore_task(run_id: int, progress: Progress | None = None) -> str:
    """Run one rescore; returns its final status."""
    ctx = get_context()
    with ctx.db.begin() as session:
        run = session.get(RescoreRun, run_id)
        assert run is not None, f"no rescore run {run_id}"
        task = session.get(Task, run.task_id)
        assert task is not None
        event_slug = session.get(Event, task.event_id).slug  # type: ignore[union-attr]
        ids = list(
            session.scalars(
                select(Submission.id)
                .where(Submission.task_id == task.id, Submission.status.in_(JUDGED))
                .order_by(Submission.id)
            )
        )
        run.status, run.total, run.done, run.changed = RunStatus.RUNNING, len(ids), 0, 0
    _emit(ctx, event_slug, run, task)
    last = time.monotonic()
    for i, submission_id in enumerate(ids, start=1):
        run.changed += _rescore_one(ctx, task, submission_id, run_id)
        run.done = i
        if progress:
            progress(i, len(ids))
        if time.monotonic() - last >= PROGRESS_EVERY_S or i == len(ids):
            last = time.monotonic()
            _save(ctx, run)
            _emit(ctx, event_slug, run, task)
    with ctx.db.begin() as session:
        # The metric's direction may have changed with the truth: every team's best again.
        recount_task(session, task)
    run.status = RunStatus.DONE
    run.finished_at = utcnow()
    _save(ctx, run)
    ctx.publisher.task_changed(task.id)
    _emit(ctx, event_slug, run, task)
    return run.status


def _save(ctx: JudgeContext, run: RescoreRun) -> None:
    with ctx.db.begin() as session:
        row = session.get(RescoreRun, run.id)
        assert row is not None
        for key in ("status", "total", "done", "changed", "finished_at", "error"):
            setattr(row, key, getattr(run, key))


def mark_failed(run_id: int, error: str) -> None:
    ctx = get_context()
    with ctx.db.begin() as session:
        run = session.get(RescoreRun, run_id)
        if run is not None:
            run.status, run.error, run.finished_at = RunStatus.FAILED, error[-4000:], utcnow()


def on_rq_failure(job: Any, connection: Any, exc_type: type, exc: BaseException, tb: Any) -> None:
    """RQ failure callback: the run row says it failed."""
    mark_failed(int(job.args[0]), "".join(traceback.format_exception(exc_type, exc, tb)))

"""Winners' code verification (issue 16): a final pick's attached code is run in the sandbox
on the task's hidden inputs, and its output compared with the picked file.

Reproduced: the output is a valid file for the task (so its ids are the truth's, the pick's
too) whose private score is within the event's tolerance of the pick's; the share of rows whose
predictions differ (beyond ``ROW_TOLERANCE``) is reported whatever the verdict. Differs: it ran
and wrote a valid file, but not the pick's. Failed: no code, or no output that could be scored,
with the reason. A job on the ``code`` queue; the CLI runs it in its own process.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.audit import audit
from core.db import utcnow
from core.errors import ParticipantVisibleError, TranslatableError
from core.models import (
    CheckStatus,
    CodeCheck,
    CodeRun,
    Event,
    RunPurpose,
    RunStatus,
    Submission,
    Task,
    Team,
)
from judge.code_runs import execute, limits_of, run_columns
from judge.jobs import get_context
from judge.scoring import read_predictions, score
from judge.truth import Solution

log = logging.getLogger(__name__)
ROW_TOLERANCE = 1e-6  # two predictions of one row agree within this (absolute)


@dataclass(frozen=True)
class Verdict:
    status: CheckStatus
    reproduced_score: float | None = None
    rows: int | None = None
    rows_differing: int | None = None
    max_difference: float | None = None
    reason: TranslatableError | None = None


@dataclass(frozen=True)
class Agreement:
    """How two valid files' predictions compare, row by row (aligned on the truth's ids)."""

    rows: int
    differing: int  # rows whose predictions differ by more than ``ROW_TOLERANCE``
    max_difference: float | None  # the largest numeric difference (None: labels)


def agreement(solution: Solution, picked: bytes, reproduced: bytes) -> Agreement:
    """Row by row: the same model retrained elsewhere (other BLAS threads) differs a little in
    many rows and keeps its score; a hand-made file differs a lot in a few."""
    a = np.asarray(read_predictions(solution, picked, "picked.csv"))
    b = np.asarray(read_predictions(solution, reproduced, "submission.csv"))
    largest = None
    if np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number):
        a, b = a.astype(float), b.astype(float)
        same = np.isclose(a, b, rtol=0, atol=ROW_TOLERANCE, equal_nan=True)
        gaps = np.abs(a - b)
        largest = float(np.nanmax(gaps)) if np.isfinite(gaps).any() else 0.0
    else:
        same = a.astype(str) == b.astype(str)
    if same.ndim > 1:  # one column per class: a row agrees when all of them do
        same = same.all(axis=tuple(range(1, same.ndim)))
    return Agreement(len(same), int((~same).sum()), largest)


def judge_output(
    solution: Solution, picked: bytes, picked_score: float | None, output: bytes, tolerance: float
) -> Verdict:
    """The verdict on a run's output (pure: the files and the scores in, the verdict out)."""
    try:
        result = score(solution, output, "submission.csv", with_ci=False)
    except ParticipantVisibleError as exc:
        return Verdict(
            CheckStatus.FAILED,
            reason=ParticipantVisibleError(
                "The code's output could not be scored: %(why)s", why=exc.english()
            ),
        )
    rows = agreement(solution, picked, output)
    reproduced = result.private_score
    close = (
        reproduced is not None
        and picked_score is not None
        and math.isclose(reproduced, picked_score, rel_tol=0, abs_tol=tolerance)
    )
    status = CheckStatus.REPRODUCED if close else CheckStatus.DIFFERS
    return Verdict(status, reproduced, rows.rows, rows.differing, rows.max_difference)


def verify_pick(check_id: int) -> str:
    """Run one final pick's code and record the verdict; returns it."""
    ctx = get_context()
    with ctx.db.begin() as session:
        check = session.get(CodeCheck, check_id, with_for_update=True)
        if check is None or check.status != CheckStatus.QUEUED:
            return "skipped"  # a second job of the same request (queued again), or done
        sub = session.get(Submission, check.submission_id)
        task = session.get(Task, check.task_id)
        assert sub is not None and task is not None
        event = session.get(Event, task.event_id)
        assert event is not None
        tolerance = event.verify_tolerance
        check.status = CheckStatus.RUNNING
        picked_path, picked_score = sub.scored_path, sub.private_score
        bundle_path, filename = check.bundle_path, check.filename
        run = None
        if bundle_path:
            run = CodeRun(
                task_id=task.id,
                team_id=check.team_id,
                user_id=check.requested_by,
                purpose=RunPurpose.VERIFY,
                filename=filename,
                bundle_path=bundle_path,
                status=RunStatus.RUNNING,
                started_at=utcnow(),
            )
            session.add(run)
            session.flush()
        run_id = run.id if run is not None else None
        check.run_id = run_id  # this job's: a later one, queued again, takes it over
    verdict, columns = _verdict(
        ctx.storage_dir, task, bundle_path, filename, picked_path, picked_score, tolerance
    )
    with ctx.db.begin() as session:
        check = session.get(CodeCheck, check_id, with_for_update=True)
        if check is None or check.status != CheckStatus.RUNNING or check.run_id != run_id:
            # Judged lost (outlived its time limit) and queued again while this run went on:
            # the newer run gives the verdict; this one's stays in its run row and the log.
            log.warning(
                "verification %s: run %s superseded, verdict %s dropped",
                check_id,
                run_id,
                verdict.status,
            )
            return "superseded"
        check.status = verdict.status
        check.picked_score = picked_score
        check.reproduced_score = verdict.reproduced_score
        check.rows, check.rows_differing = verdict.rows, verdict.rows_differing
        check.max_difference = verdict.max_difference
        check.message = verdict.reason.english() if verdict.reason else ""
        check.message_detail = verdict.reason.detail() if verdict.reason else None
        check.finished_at = utcnow()
        team = session.get(Team, check.team_id)
        audit(
            session,
            session.get(Event, task.event_id),
            "verification",
            "verification.verdict",
            f"{task.slug}:{team.name if team else check.team_id}",
            None,
            {
                "status": check.status,
                "submission": check.submission_id,
                "picked_score": picked_score,
                "reproduced_score": verdict.reproduced_score,
                "rows": verdict.rows,
                "rows_differing": verdict.rows_differing,
                "max_difference": verdict.max_difference,
                "message": check.message,
            },
        )
        if run_id is not None and (row := session.get(CodeRun, run_id)) is not None:
            row.status = RunStatus.DONE
            for key, value in columns.items():
                setattr(row, key, value)
    return str(verdict.status)


def _verdict(
    storage: Path,
    task: Task,
    bundle_path: str,
    filename: str,
    picked_path: str,
    picked_score: float | None,
    tolerance: float,
) -> tuple[Verdict, dict[str, Any]]:
    if not bundle_path:
        reason = ParticipantVisibleError("No code was attached to this final pick.")
        return Verdict(CheckStatus.FAILED, reason=reason), {}
    if not task.inputs_path:
        reason = ParticipantVisibleError("The task has no hidden inputs to run the code on.")
        return Verdict(CheckStatus.FAILED, reason=reason), {}
    ctx = get_context()
    execution = execute(
        (storage / bundle_path).read_bytes(),
        filename,
        Path(task.inputs_path),
        task.inputs_name or "test.csv",
        limits_of(task),
    )
    columns = run_columns(execution)
    if execution.problem is not None or execution.output is None:
        return Verdict(CheckStatus.FAILED, reason=execution.problem), columns
    solution = ctx.solutions.of(task)
    picked = (storage / picked_path).read_bytes()
    return judge_output(solution, picked, picked_score, execution.output, tolerance), columns


def record_fault(check_id: int, error: str) -> None:
    """A verification that could not be carried out (ours: the sandbox, the storage)."""
    ctx = get_context()
    with ctx.db.begin() as session:
        check = session.get(CodeCheck, check_id)
        if check is not None and check.status not in (
            CheckStatus.REPRODUCED,
            CheckStatus.DIFFERS,
        ):
            check.status = CheckStatus.FAILED
            check.message = "The verification could not be carried out: " + error[-300:]
            check.message_detail = None
            check.finished_at = utcnow()


def on_rq_failure(job: Any, connection: Any, exc_type: type, exc: BaseException, tb: Any) -> None:
    """RQ failure callback: the check says it could not be carried out."""
    record_fault(int(job.args[0]), f"{exc_type.__name__}: {exc}")

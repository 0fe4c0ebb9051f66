"""Running a code task's programs in the sandbox (issue 16): the hidden run of a submission,
scored like an upload of its output, and the dry run on the public sample inputs.

Both are RQ jobs on the ``code`` queue (``hackjudge worker --queue code``), so a slow model
never delays the scoring of prediction files. A worker whose sandbox fails its self-test runs
nothing: its jobs end as platform faults, the row says why, and the organizers' dashboard too.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.db import utcnow
from core.errors import ParticipantVisibleError, TranslatableError
from core.models import (
    PROGRAM_OUTPUT,
    CodeRun,
    RunPurpose,
    RunStatus,
    Status,
    Submission,
    Task,
)
from judge import bundles, sandbox
from judge.jobs import JudgeContext, evaluate, get_context, land, start
from judge.sandbox import Limits, Outcome, Run, SandboxUnavailable
from judge.sniff import sniff_header
from judge.truth import required_columns

log = logging.getLogger(__name__)
OUTPUTS = "outputs"  # under the storage dir: programs' outputs, named by their hash
MAX_OUTPUT_BYTES = 256 * 1024**2
COMMAND = ["python", "/code/main.py"]
HEAD_BYTES = 65536  # what a dry run's output check reads, as intake reads an upload's head
_sandbox_problem: list[str | None] = []  # this process's self-test, once
REFUSED_TTL_S = 7 * 24 * 3600
LOST_AFTER_LIMIT = timedelta(minutes=2)  # lost_before


def refused_key(queue_name: str) -> str:
    """Where the last code worker of a deployment (its queue) to start said its sandbox failed:
    uploads of programs are refused while it is set, and the organizers' dashboard says why."""
    return f"hackjudge:{queue_name}:sandbox-refused"


def report_sandbox(redis: Any, queue_name: str, problem: str | None) -> None:
    """Say (or unsay) for the deployment that code tasks are refused, and why."""
    if problem is None:
        redis.delete(refused_key(queue_name))
    else:
        redis.set(refused_key(queue_name), problem[:1000], ex=REFUSED_TTL_S)


def refusal(redis: Any, queue_name: str) -> str | None:
    """Why code tasks are refused: a code worker's failed self-test (production, ``redis``)
    or this process's own (embedded, no Redis)."""
    if redis is None:
        return sandbox_problem()
    raw = redis.get(refused_key(queue_name))
    return raw.decode("utf-8", "replace") if raw else None


def sandbox_problem() -> str | None:
    """Why this process may not run team code (None: its sandbox passed its self-test)."""
    if not _sandbox_problem:
        from judge.sandbox_check import self_test

        _sandbox_problem.append(self_test())
    return _sandbox_problem[0]


def limits_of(task: Task) -> Limits:
    """The sandbox's limits for a task's programs: its time (wall and CPU) and memory."""
    seconds = task.time_limit_s or Limits.wall_s
    memory = (task.memory_mb or Limits.memory_bytes // 2**20) * 2**20
    return Limits(wall_s=float(seconds), cpu_s=int(seconds), memory_bytes=memory)


def lost_before(task: Task, now: datetime) -> datetime:
    """A run of ``task``'s programs still ``running`` that started before this has no worker
    any more (killed with it: RQ would fail its job only after the code queue's hours-long
    timeout). Beyond its time limit a run still has its sandbox to start and its output to
    check: ``LOST_AFTER_LIMIT`` more."""
    return now - timedelta(seconds=limits_of(task).wall_s) - LOST_AFTER_LIMIT


@dataclass(frozen=True)
class Execution:
    """A program's run, its output file (None: none written) and what the team is told."""

    run: Run | None
    output: bytes | None
    problem: TranslatableError | None


def execute(
    bundle: bytes, filename: str, inputs: Path, inputs_name: str, limits: Limits
) -> Execution:
    """Unpack ``bundle`` and run it on ``inputs`` (seen as ``/input/inputs_name``)."""
    if (problem := sandbox_problem()) is not None:
        raise SandboxUnavailable(problem)
    with sandbox.workspace() as (code, input_dir, output):
        try:
            bundles.unpack(bundle, filename, code)
        except ParticipantVisibleError as exc:
            return Execution(None, None, exc)
        sandbox.readable(code)
        shutil.copyfile(inputs, input_dir / inputs_name)
        sandbox.readable(input_dir)
        run = sandbox.run(code, input_dir, output, COMMAND, limits)
        if run.outcome is Outcome.SANDBOX_FAILED:  # before the program started: ours
            raise SandboxUnavailable(f"the sandbox failed to start: {run.log[-500:]}")
        problem = run_problem(run, limits)
        data = None
        if problem is None:
            data = sandbox.read_output(output, PROGRAM_OUTPUT, MAX_OUTPUT_BYTES)
            if data is None:
                problem = ParticipantVisibleError(
                    "Your program ended without writing /output/submission.csv "
                    "(a regular file, at most %(mb)d MB).",
                    mb=MAX_OUTPUT_BYTES // 2**20,
                )
        return Execution(run, data, problem)


def run_problem(run: Run, limits: Limits) -> ParticipantVisibleError | None:
    """What went wrong with a run, in the team's words; None if it exited with status 0."""
    if run.outcome is Outcome.TIME_LIMIT:
        return ParticipantVisibleError(
            "Your program ran past the time limit of %(seconds)d s.", seconds=int(limits.wall_s)
        )
    if run.outcome is Outcome.MEMORY_LIMIT:
        return ParticipantVisibleError(
            "Your program ran out of memory (the limit is %(mb)d MB).",
            mb=limits.memory_bytes // 2**20,
        )
    if run.outcome is Outcome.OUTPUT_LIMIT:
        return ParticipantVisibleError(
            "Your program wrote more than the output limit (%(mb)d MB in /output, %(file)d MB "
            "a file).",
            mb=limits.output_bytes // 2**20,
            file=limits.file_bytes // 2**20,
        )
    if run.outcome is Outcome.NO_REPORT:
        return ParticipantVisibleError(
            "Your program ended its run in a way the sandbox could not report (it stopped the "
            "process that started it); this counts as a crash."
        )
    if run.outcome is Outcome.CRASHED:
        return ParticipantVisibleError(
            "Your program was killed by signal %(signal)d.", signal=run.signal or 0
        )
    if run.exit_code:
        return ParticipantVisibleError(
            "Your program exited with status %(status)d.", status=run.exit_code
        )
    return None


def run_columns(execution: Execution) -> dict[str, Any]:
    run = execution.run
    problem = execution.problem
    columns: dict[str, Any] = {
        "message": problem.english() if problem else "",
        "message_detail": problem.detail() if problem else None,
        "finished_at": utcnow(),
    }
    if run is not None:
        columns |= {
            "outcome": run.outcome.value,
            "exit_code": run.exit_code,
            "signal": run.signal,
            "elapsed_s": run.elapsed_s,
            "cpu_s": run.cpu_s,
            "peak_memory_bytes": run.peak_memory_bytes,
            "log": run.log.replace("\x00", ""),
            "log_truncated": run.log_truncated,
        }
    return columns


def _keep_output(storage_dir: Path, data: bytes) -> str:
    """The output under its hash (the same output twice is one file); its relative path."""
    relative = Path(OUTPUTS) / f"{hashlib.sha256(data).hexdigest()}.csv"
    target = storage_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return str(relative)


def run_submission(submission_id: int) -> str:
    """A code task's submission: its program run on the hidden inputs, its output scored like
    an upload; returns the final status. Its log is kept for staff only."""
    ctx = get_context()
    started = start(ctx, submission_id, Status.RUNNING)
    if started is None:
        return "skipped"
    sub, task = started
    ctx.publisher.submission(sub, task)
    bundle = (ctx.storage_dir / sub.stored_path).read_bytes()
    execution = execute(
        bundle, sub.filename, Path(str(task.inputs_path)), str(task.inputs_name), limits_of(task)
    )
    _record_run(ctx, sub, task, execution)
    if execution.problem is not None or execution.output is None:
        problem = execution.problem or ParticipantVisibleError("Your program wrote no output.")
        updates: dict[str, Any] = {
            "status": Status.INVALID,
            "error": problem.english(),
            "error_detail": problem.detail(),
        }
        return land(ctx, submission_id, task, updates, None)
    sub.output_path = _keep_output(ctx.storage_dir, execution.output)
    updates, result = evaluate(ctx, task, sub, with_ci=False)
    updates["output_path"] = sub.output_path
    if updates["status"] == Status.INVALID:
        updates |= hidden_output_refusal(updates["error"])
    return land(ctx, submission_id, task, updates, result)


def hidden_output_refusal(detailed: str) -> dict[str, Any]:
    """What the team reads of an invalid output of its hidden run: not the validator's words.

    They quote the file's cells, and a program can write the hidden inputs into those cells:
    each invalid run would carry a few of them out to the team. Staff keep the detailed message;
    the team reproduces it with a dry run on the public sample inputs.
    """
    refusal = ParticipantVisibleError(
        "Your program's /output/submission.csv is not a valid submission for this task; a dry "
        "run on the sample inputs shows what is wrong with it."
    )
    return {
        "error": refusal.english(),
        "error_detail": refusal.detail(),
        "staff_error": f"output refused: {detailed}"[:4000],
    }


def _record_run(ctx: JudgeContext, sub: Submission, task: Task, execution: Execution) -> None:
    """The hidden run's row (one per submission: a retry overwrites the attempt before)."""
    with ctx.db.begin() as session:
        row = session.scalars(select(CodeRun).where(CodeRun.submission_id == sub.id)).first()
        if row is None:
            row = CodeRun(
                task_id=task.id,
                team_id=sub.team_id,
                user_id=sub.user_id,
                submission_id=sub.id,
                purpose=RunPurpose.HIDDEN,
                filename=sub.filename,
                bundle_path=sub.stored_path,
                started_at=sub.started_at,
            )
            session.add(row)
        row.status = RunStatus.DONE
        for key, value in run_columns(execution).items():
            setattr(row, key, value)


def dry_run(run_id: int) -> str:
    """A dry run: the program on the task's public sample inputs. The team sees everything
    (its log too); nothing is scored and nothing counts."""
    ctx = get_context()
    with ctx.db.begin() as session:
        row = session.get(CodeRun, run_id, with_for_update=True)
        if row is None or row.status in (RunStatus.DONE, RunStatus.FAILED):
            return "skipped"
        task = session.get(Task, row.task_id)
        assert task is not None
        row.status, row.started_at = RunStatus.RUNNING, utcnow()
        bundle_path, filename = row.bundle_path, row.filename
    bundle = (ctx.storage_dir / bundle_path).read_bytes()
    sample = Path(str(task.sample_inputs_path))
    execution = execute(bundle, filename, sample, str(task.inputs_name), limits_of(task))
    if execution.problem is None and execution.output is not None:
        checked = _check_sample_output(task, execution.output)
        execution = Execution(execution.run, execution.output, checked)
    with ctx.db.begin() as session:
        row = session.get(CodeRun, run_id)
        assert row is not None
        row.status = RunStatus.DONE
        for key, value in run_columns(execution).items():
            setattr(row, key, value)
    return RunStatus.DONE


def _check_sample_output(task: Task, data: bytes) -> ParticipantVisibleError | None:
    """A dry run's output checked as far as the sample allows: the columns an upload needs."""
    head = data[:HEAD_BYTES]
    try:
        sniff_header(head, PROGRAM_OUTPUT, required_columns(task), whole_file=head == data)
    except ParticipantVisibleError as exc:
        return exc
    return None


def record_dry_run_fault(run_id: int, error: str) -> None:
    """A dry run that could not run (ours, not the program's): failed, the team told so."""
    ctx = get_context()
    with ctx.db.begin() as session:
        row = session.get(CodeRun, run_id)
        if row is not None and row.status != RunStatus.DONE:
            row.status, row.staff_error, row.finished_at = RunStatus.FAILED, error[-4000:], utcnow()

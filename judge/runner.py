"""Dispatching scoring jobs: RQ in production, a thread pool in embedded mode."""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Protocol

from redis import Redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry

from judge.jobs import on_rq_failure, record_fault, score_submission

log = logging.getLogger(__name__)


def on_dry_run_failure(
    job: object, connection: object, exc_type: type, exc: BaseException, tb: object
) -> None:
    """RQ failure callback of a dry run: its row says it failed."""
    from judge.code_runs import record_dry_run_fault

    record_dry_run_fault(int(job.args[0]), "".join(traceback.format_exception(exc_type, exc, tb)))  # type: ignore[attr-defined]


JOB_PATH = "judge.jobs.score_submission"
INTERVAL_PATH = "judge.jobs.compute_interval"
INTERVAL_TIMEOUT = 600
RESCORE_PATH = "judge.rescore.rescore_task"
RESCORE_TIMEOUT = 6 * 3600
RETRY_INTERVALS = [2, 10]
# A code task's programs (issue 16): their own queue, served by ``hackjudge worker --queue
# code``. The sandbox keeps each run's own time limit; RQ's timeout only catches a hung job.
CODE_JOB_PATH = "judge.code_runs.run_submission"
DRY_RUN_PATH = "judge.code_runs.dry_run"
VERIFY_PATH = "judge.verify.verify_pick"
CODE_JOB_TIMEOUT = 6 * 3600 + 600


def code_queue_name(queue_name: str) -> str:
    return f"{queue_name}-code"


def job_id(submission_id: int) -> str:
    return f"submission-{submission_id}"


def interval_queue_name(queue_name: str) -> str:
    """The queue of the bootstrap intervals, which every worker serves after its own."""
    return f"{queue_name}-intervals"


class Dispatcher(Protocol):
    def enqueue(self, submission_id: int, *, code: bool = False) -> None: ...

    def enqueue_dry_run(self, run_id: int) -> None: ...

    def enqueue_verification(self, check_id: int) -> None: ...

    def enqueue_rescore(self, run_id: int) -> None: ...


class RQDispatcher:
    """Enqueue by dotted path with a plain id, explicit timeout, retries and failure callback."""

    def __init__(self, redis: Redis, queue_name: str, job_timeout: int) -> None:
        self.queue = Queue(queue_name, connection=redis)
        self.intervals = Queue(interval_queue_name(queue_name), connection=redis)
        self.code = Queue(code_queue_name(queue_name), connection=redis)
        self.job_timeout = job_timeout

    def enqueue_interval(self, submission_id: int) -> None:
        """A scored file's bootstrap interval, behind every scoring job (no retry: a lost
        interval leaves the score without its ±, and a rescore computes it again)."""
        self.intervals.enqueue(
            INTERVAL_PATH,
            submission_id,
            job_id=f"interval-{submission_id}",
            job_timeout=INTERVAL_TIMEOUT,
            result_ttl=0,
            failure_ttl=24 * 3600,
        )

    def enqueue(
        self, submission_id: int, *, code: bool = False, pipeline: Pipeline | None = None
    ) -> None:
        """A submission's job: scoring its file, or (``code``) running its program first.
        With ``pipeline``, queued there for the caller to execute (RQ's own ``pipeline``)."""
        (self.code if code else self.queue).enqueue(
            CODE_JOB_PATH if code else JOB_PATH,
            submission_id,
            job_id=job_id(submission_id),
            job_timeout=CODE_JOB_TIMEOUT if code else self.job_timeout,
            retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            on_failure=Callback(on_rq_failure),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            pipeline=pipeline,
        )

    def enqueue_dry_run(self, run_id: int) -> None:
        """A team's dry run, behind the code queue's submissions (no retry: the team runs it
        again; a fault says so on its row)."""
        self.code.enqueue(
            DRY_RUN_PATH,
            run_id,
            job_id=f"dry-run-{run_id}",
            job_timeout=CODE_JOB_TIMEOUT,
            on_failure=Callback(on_dry_run_failure),
            result_ttl=3600,
            failure_ttl=24 * 3600,
        )

    def enqueue_verification(self, check_id: int) -> None:
        """A final pick's code to verify, on the code queue."""
        from judge.verify import on_rq_failure as verification_failed

        self.code.enqueue(
            VERIFY_PATH,
            check_id,
            job_id=f"verify-{check_id}-{uuid.uuid4().hex[:8]}",
            job_timeout=CODE_JOB_TIMEOUT,
            on_failure=Callback(verification_failed),
            result_ttl=3600,
            failure_ttl=24 * 3600,
        )

    def enqueue_rescore(self, run_id: int) -> None:
        from judge.rescore import on_rq_failure as rescore_failed

        self.queue.enqueue(
            RESCORE_PATH,
            run_id,
            job_id=f"rescore-{run_id}",
            job_timeout=RESCORE_TIMEOUT,
            on_failure=Callback(rescore_failed),
            result_ttl=3600,
        )


class ThreadDispatcher:
    """Embedded mode: score in the server's own threads; one retry on a platform fault."""

    def __init__(self, threads: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="scoring")
        # Programs one at a time, beside the scoring: a slow model never holds a file back.
        self.code_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="code")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def _submit(self, pool: ThreadPoolExecutor, job: Callable[[int], None], arg: int) -> None:
        future = pool.submit(job, arg)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def enqueue(self, submission_id: int, *, code: bool = False) -> None:
        self._submit(
            self.code_pool if code else self.pool, partial(self._run, code=code), submission_id
        )

    def enqueue_dry_run(self, run_id: int) -> None:
        self._submit(self.code_pool, self._dry_run, run_id)

    def enqueue_verification(self, check_id: int) -> None:
        self._submit(self.code_pool, self._verify, check_id)

    @staticmethod
    def _verify(check_id: int) -> None:
        from judge.verify import record_fault as verification_fault
        from judge.verify import verify_pick

        try:
            verify_pick(check_id)
        except Exception as exc:
            log.exception("verification %s failed", check_id)
            verification_fault(check_id, f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _dry_run(run_id: int) -> None:
        from judge.code_runs import dry_run, record_dry_run_fault

        try:
            dry_run(run_id)
        except Exception:
            log.exception("dry run %s failed", run_id)
            record_dry_run_fault(run_id, traceback.format_exc())

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float) -> bool:
        """Wait until every dispatched job has finished; False on timeout."""
        with self._lock:
            pending = set(self._pending)
        return not wait(pending, timeout=timeout).not_done

    def enqueue_rescore(self, run_id: int) -> None:
        self._submit(self.pool, self._rescore, run_id)

    @staticmethod
    def _rescore(run_id: int) -> None:
        from judge.rescore import mark_failed, rescore_task

        try:
            rescore_task(run_id)
        except Exception:
            log.exception("rescore run %s failed", run_id)
            mark_failed(run_id, traceback.format_exc())

    @staticmethod
    def _run(submission_id: int, code: bool = False) -> None:
        from judge.code_runs import run_submission

        job = run_submission if code else score_submission
        for attempt in (1, 2):
            try:
                job(submission_id)
                return
            except Exception:
                error = traceback.format_exc()
                log.error("scoring submission %s failed: %s", submission_id, error)
                record_fault(submission_id, error, final=attempt == 2)

"""The scoring job's writes (issue 14): the row taken in one statement and committed before
any scoring (a killed worker leaves it for the reconciler), the verdict and the team's standing
in two on PostgreSQL (the verdict with the standing's lock, then the count; three on SQLite),
an interval kept only for the score it was computed for."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from app.extensions import db
from core.models import Standing, Status, Submission
from judge.jobs import MAX_ATTEMPTS, _store_interval, evaluate, get_context, land, start
from tests.actions import Api
from tests.helpers import Contest, each_statement_sent, wait_for


class Seen(list[str]):
    """Each statement's first word; ``autocommit``: whether psycopg sent it committing by
    itself, with no BEGIN before it nor COMMIT after (None: SQLite)."""

    autocommit: list[bool | None]


@contextmanager
def statements() -> Iterator[Seen]:
    seen = Seen()
    seen.autocommit = []

    def note(conn: Any, cursor: Any, statement: str, *_args: object) -> None:
        seen.append(statement.lstrip().split(None, 1)[0].upper())
        postgres = conn.dialect.name == "postgresql"
        seen.autocommit.append(cursor.connection.autocommit if postgres else None)

    with each_statement_sent(db, note):
        yield seen


def queued_again(sub_id: int, attempts: int = 0) -> None:
    with db.begin() as session:
        row = session.get(Submission, sub_id)
        assert row is not None
        row.status, row.attempts, row.worker = Status.QUEUED, attempts, ""


def test_a_job_takes_and_lands_its_row_in_few_statements(
    app: Flask, contest: Contest, api: Api
) -> None:
    team = next(iter(contest.tokens))
    api.entry(team, 0.8)
    with db.begin() as session:
        sub_id = session.scalars(select(Submission.id)).one()
    queued_again(sub_id)
    ctx = get_context()
    postgres = db.engine is not None and db.engine.dialect.name == "postgresql"

    with statements() as taking:
        started = start(ctx, sub_id)
    assert started is not None
    sub, task = started
    assert (sub.status, sub.attempts, sub.worker, task.id) == (
        Status.SCORING,
        1,
        ctx.worker_name,
        sub.task_id,
    )
    # PostgreSQL: the row and its task in one UPDATE … RETURNING; SQLite reads the task apart.
    assert taking == (["UPDATE"] if postgres else ["UPDATE", "SELECT"])
    # PostgreSQL: with no BEGIN nor COMMIT around it either (two round trips fewer).
    assert taking.autocommit == ([True] if postgres else [None, None])
    with db.begin() as session:  # committed before any scoring: the reconciler sees it
        assert session.get(Submission, sub_id).status == Status.SCORING  # type: ignore[union-attr]

    updates, result = evaluate(ctx, task, sub, with_ci=False)
    assert result is not None
    ctx.defer_interval, deferred = (lambda _id: None), ctx.defer_interval
    try:
        with statements() as landing:
            assert land(ctx, sub_id, task, updates, result) == "scored"
    finally:
        ctx.defer_interval = deferred
    # In one transaction: the verdict, the standing created or locked, the standing recounted.
    # PostgreSQL: the first two in one statement (a data-modifying WITH), a round trip fewer.
    if postgres:
        assert landing[:2] == ["WITH", "UPDATE"]
        assert landing.autocommit[:2] == [False, False]
    else:
        assert landing[:3] == ["UPDATE", "INSERT", "UPDATE"]
    with db.begin() as session:
        standing = session.scalars(select(Standing)).one()
        assert (standing.best_id, standing.attempts) == (sub_id, 1)

    # The interval is kept for the score it was computed for, and not for another one.
    result.public_score = (result.public_score or 0) + 1
    with statements() as storing:
        _store_interval(ctx, sub_id, result)
    assert storing == ["UPDATE"]
    assert storing.autocommit == [True if postgres else None]
    with db.begin() as session:
        assert session.get(Submission, sub_id).public_ci_low is None  # type: ignore[union-attr]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_files_of_one_team_landing_at_once_are_both_counted(
    app: Flask, contest: Contest, api: Api
) -> None:
    """PostgreSQL (SQLite has one writer at a time): a worker landing one of a team's files
    waits, in the statement that writes its verdict, for another landing the team's other file
    to commit, and its count then sees that file. The better file commits first: without the
    wait, the later count would not see it and would make the worse file the team's best."""
    team = next(iter(contest.tokens))
    ids = []
    for noise in (0.3, 0.9):  # the better file, then the worse
        public_id = api.entry(team, noise)
        with db.begin() as session:
            by_public_id = select(Submission.id).where(Submission.public_id == public_id)
            ids.append(session.scalars(by_public_id).one())
    better, worse = ids
    ctx = get_context()
    verdicts = {}
    for sub_id in ids:
        queued_again(sub_id)  # committed: neither file ranks until its verdict commits
        started = start(ctx, sub_id)
        assert started is not None
        sub, task = started
        verdicts[sub_id] = (task, *evaluate(ctx, task, sub, with_ci=False))
    holder: list[int] = []
    locked, other_waits = threading.Event(), threading.Event()

    def hold_after_verdict(_conn: Any, _cursor: Any, statement: str, *_args: object) -> None:
        if threading.get_ident() in holder and statement.lstrip().upper().startswith("WITH"):
            locked.set()
            assert other_waits.wait(30), "the other landing never waited on the lock"

    def land_holding(sub_id: int) -> str:
        holder.append(threading.get_ident())
        return land(ctx, sub_id, *verdicts[sub_id])

    def waiting_on_a_lock() -> bool:
        with db.begin() as session:
            return bool(
                session.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            )

    ctx.defer_interval, deferred = (lambda _id: None), ctx.defer_interval
    try:
        with (
            each_statement_sent(db, hold_after_verdict, when="after_cursor_execute"),
            ThreadPoolExecutor(2) as pool,
        ):
            first = pool.submit(land_holding, better)
            assert locked.wait(30)
            second = pool.submit(land, ctx, worse, *verdicts[worse])
            wait_for(waiting_on_a_lock, 30, "the second landing to wait on the first's lock")
            other_waits.set()
            assert (first.result(30), second.result(30)) == ("scored", "scored")
    finally:
        ctx.defer_interval = deferred
    with db.begin() as session:
        standing = session.scalars(select(Standing)).one()
        assert (standing.best_id, standing.attempts) == (better, 2)


def test_a_row_past_its_attempts_is_given_up(app: Flask, contest: Contest, api: Api) -> None:
    team = next(iter(contest.tokens))
    api.entry(team, 0.8)
    with db.begin() as session:
        sub_id = session.scalars(select(Submission.id)).one()
    queued_again(sub_id, attempts=MAX_ATTEMPTS)
    assert start(get_context(), sub_id) is None
    with db.begin() as session:
        row: Any = session.get(Submission, sub_id)
        assert row.status == Status.FAILED and "gave up" in row.staff_error
        assert session.scalars(select(Standing)).one().attempts == 0  # a failed file counts none
    queued_again(sub_id, attempts=0)
    with db.begin() as session:
        session.get(Submission, sub_id).status = Status.SCORED  # type: ignore[union-attr]
    assert start(get_context(), sub_id) is None  # done already: a duplicate delivery


def test_a_whole_score_comes_back_a_float(app: Flask, api: Api, contest: Contest) -> None:
    """SQLite hands an integral REAL back as an integer through UPDATE … RETURNING: a perfect
    score landed as ``1`` and the team's push said so (``core.db.Real``)."""
    public_id = api.entry("팀0", 0.3)
    with db.begin() as session:
        row_id = session.scalar(select(Submission.id).where(Submission.public_id == public_id))
    with db.begin() as session:  # a fresh session, as the job's: the row comes from RETURNING
        back = session.scalars(
            update(Submission)
            .where(Submission.id == row_id)
            .values(public_score=1.0, private_score=0.0)
            .returning(Submission)
            .execution_options(synchronize_session=False)
        ).one()
        assert isinstance(back.public_score, float) and back.public_score == 1.0
        assert isinstance(back.private_score, float)

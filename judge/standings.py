"""Each team's aggregates on a task, kept as its submissions change (issue 14).

A live board used to be recomputed from every submission of its task at each score landing;
now each change of a team's submissions recounts that team's ``Standing`` row in the same
transaction — its attempts (``COUNTED``), its last upload and its best public submission under
rule 1 — from the team's own rows, by index. A board read is then one read of the task's
standings (``scoreboard.queries``), whatever the number of submissions.

Every path that changes a submission's status or scores calls :func:`recount`: intake (a new
row), the job's start (a row given up), its result, a platform fault, a rejudge and a rescore.
``tests/scoreboard/test_standings.py`` checks the rows against the pure rules after each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.db import Database
from core.models import COUNTED, Standing, Status, Submission, Task
from judge.metrics import get_metric


def rankable(session: Session, column: Any) -> ColumnElement[bool]:
    """A scored submission whose ``column`` score can rank: NaN never ranks (SQLite stores
    NaN as NULL; PostgreSQL keeps it, and NaN = NaN there)."""
    condition = and_(Submission.status == Status.SCORED, column.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        condition = and_(condition, column != literal(float("nan")))
    return condition


def rule_order(column: Any, higher_is_better: bool) -> list[Any]:
    """Rule 1 in SQL (``scoreboard.ranking.order_key`` in Python): the better score first,
    then the earlier submission, then the lower id."""
    score = column.desc() if higher_is_better else column.asc()
    return [score, Submission.created_at.asc(), Submission.id.asc()]


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def recount(session: Session, task: Task, team_id: int, *, locked: bool = False) -> Standing:
    """Recount ``team_id``'s standing on ``task`` from its submissions, in the caller's
    transaction (which commits it with the change that called for it); ``locked``: an earlier
    statement of that transaction took the first statement's part (:func:`landing`).

    Two statements (issue 14: there were five, on every score landing). The first creates the
    standing or, if it is there, locks it (a no-op ``DO UPDATE`` takes the row lock, as ``FOR
    UPDATE`` did): PostgreSQL then orders the recounts of one team (two workers scoring two of
    its files). The second counts and writes; under READ COMMITTED it takes its snapshot after
    the lock was granted, so it sees every recount committed before — which is why the count
    cannot ride in the first statement, whose snapshot predates its wait for the lock.
    SQLite: the pending write taken first makes this transaction the only writer.
    """
    session.flush()
    if not locked:
        insert = _insert(session)(Standing).values(task_id=task.id, team_id=team_id, attempts=0)
        session.execute(_created_or_locked(insert))
    mine = (Submission.task_id == task.id, Submission.team_id == team_id)
    counted = select(func.count(Submission.id)).where(*mine, Submission.status.in_(COUNTED))
    last = select(func.max(Submission.created_at)).where(*mine, Submission.status.in_(COUNTED))
    best = (
        select(Submission.id)
        .where(*mine, rankable(session, Submission.public_score))
        .order_by(*rule_order(Submission.public_score, get_metric(task.metric).higher_is_better))
        .limit(1)
        .scalar_subquery()
    )
    of_best = select(Submission).where(Submission.id == best).subquery()
    return session.scalars(
        update(Standing)
        .where(Standing.task_id == task.id, Standing.team_id == team_id)
        .values(
            attempts=counted.scalar_subquery(),
            last_at=last.scalar_subquery(),
            best_id=best,
            best_score=select(of_best.c.public_score).scalar_subquery(),
            best_at=select(of_best.c.created_at).scalar_subquery(),
        )
        .returning(Standing)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).one()


def _created_or_locked(insert: Any) -> Any:
    """``insert`` of a team's standing as an upsert that, for a standing already there, only
    takes its row lock (a no-op ``DO UPDATE``)."""
    stored = Standing.__table__.c
    return insert.on_conflict_do_update(
        index_elements=[stored.task_id, stored.team_id], set_={"attempts": stored.attempts}
    )


def landing(verdict: Any) -> Any:
    """PostgreSQL: ``verdict`` (an UPDATE of one submission's table row) and the first
    statement of :func:`recount` for its team, as one statement whose rows are the update's:
    a round trip fewer on every file a worker lands (issue 14: with the database across a
    network, a file's scoring waits mostly on round trips). :func:`recount` with ``locked``
    follows, in the same transaction, and counts under the lock this statement took."""
    row = verdict.returning(*Submission.__table__.c).cte("verdict")
    lock = _created_or_locked(
        pg_insert(Standing.__table__).from_select(
            ["task_id", "team_id", "attempts"], select(row.c.task_id, row.c.team_id, literal(0))
        )
    )
    return select(row).add_cte(lock.cte("locked"))


# ``count_upload``'s statement per dialect, built once: SQLAlchemy memoizes a statement's
# cache key, and building this upsert afresh cost an upload more Python than its round trip.
_COUNT_UPLOAD: dict[str, Any] = {}


def _count_upload_statement(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    statement = _COUNT_UPLOAD.get(dialect)
    if statement is None:
        stored = Standing.__table__.c
        # On the table, not the entity: SQLAlchemy's ORM bulk insert machinery around a plain
        # upsert cost the upload ~1% of a web node's CPU in a rush (issue 14).
        insert = _insert(session)(Standing.__table__).values(
            task_id=bindparam("task_id"),
            team_id=bindparam("team_id"),
            attempts=1,
            last_at=bindparam("created_at", type_=stored.last_at.type),
        )
        statement = _COUNT_UPLOAD[dialect] = _counted_once_more(insert)
    return statement


def _counted_once_more(insert: Any) -> Any:
    """``insert`` of a team's standing (one attempt, the last at its ``last_at``) as an upsert:
    a standing already there counts one attempt more, its last the later."""
    stored = Standing.__table__.c
    return insert.on_conflict_do_update(
        index_elements=[stored.task_id, stored.team_id],
        set_={
            "attempts": stored.attempts + 1,
            "last_at": case(
                (stored.last_at.is_(None), insert.excluded.last_at),
                (stored.last_at < insert.excluded.last_at, insert.excluded.last_at),
                else_=stored.last_at,
            ),
        },
    )


def counting_upload(insert_submission: Any) -> Any:
    """PostgreSQL: ``insert_submission`` (an INSERT of one submission, RETURNING its columns)
    and :func:`count_upload` of the row it makes, as one statement whose rows are the insert's:
    a round trip fewer on every upload (issue 14). No row inserted: nothing counted."""
    new_row = insert_submission.cte("new_row")
    count = _counted_once_more(
        pg_insert(Standing.__table__).from_select(
            ["task_id", "team_id", "attempts", "last_at"],
            select(new_row.c.task_id, new_row.c.team_id, literal(1), new_row.c.created_at),
        )
    )
    return select(new_row).add_cte(count.cte("counted"))


def count_upload(session: Session, task: Task, team_id: int, created_at: datetime) -> None:
    """A new (queued) submission: one more attempt, the last at ``created_at``. Its best is
    unchanged, so no recount: one statement, in the intake's transaction (SQLite; PostgreSQL's
    intake counts it in the row's own statement, :func:`counting_upload`)."""
    session.execute(
        _count_upload_statement(session),
        {"task_id": task.id, "team_id": team_id, "created_at": created_at},
    )


def recount_task(session: Session, task: Task) -> None:
    """Recount every team with submissions on ``task`` (a rescore, a backfill)."""
    teams = session.scalars(
        select(Submission.team_id).where(Submission.task_id == task.id).distinct()
    ).all()
    for team_id in teams:
        recount(session, task, team_id)


def backfill(session: Session) -> int:
    """Recount the tasks that have submissions but no standings (a database from before the
    standings); returns how many."""
    missing = session.scalars(
        select(Submission.task_id)
        .where(Submission.task_id.not_in(select(Standing.task_id).distinct()))
        .distinct()
    ).all()
    for task_id in missing:
        task = session.get(Task, task_id)
        if task is not None:
            recount_task(session, task)
    return len(missing)


def backfill_url(database_url: str) -> int:
    """:func:`backfill` on the database at ``database_url`` (``migrations.upgrade``)."""
    db = Database()
    db.configure(database_url)
    try:
        with db.begin() as session:
            return backfill(session)
    finally:
        assert db.engine is not None
        db.engine.dispose()

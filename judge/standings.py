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
from core.models import COUNTED, Event, Standing, Status, Submission, Task
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
    return session.scalars(
        update(Standing)
        .where(Standing.task_id == task.id, Standing.team_id == team_id)
        .values(**_aggregates(session, task, team_id))
        .returning(Standing)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).one()


def _aggregates(session: Session, task: Task, team_id: Any, *, live: bool = True) -> dict:
    """A team's standing on ``task`` as SQL over its submissions, column by column: the live
    aggregates (unless not ``live``) and those as of the event's freeze (``frozen_*``, counted
    for the freeze the statement reads). ``team_id``: a team's id, or ``Standing.team_id`` to
    recount every standing an UPDATE touches."""
    freeze = select(Event.freeze_at).where(Event.id == task.event_id).scalar_subquery()
    higher = get_metric(task.metric).higher_is_better
    values: dict[str, Any] = {"frozen_as_of": freeze}
    parts = [("frozen_", [Submission.created_at < freeze])]
    if live:
        parts.insert(0, ("", []))
    for prefix, cut in parts:
        mine = (Submission.task_id == task.id, Submission.team_id == team_id, *cut)
        counted = (*mine, Submission.status.in_(COUNTED))
        best = _mine(
            select(Submission.id)
            .where(*mine, rankable(session, Submission.public_score))
            .order_by(*rule_order(Submission.public_score, higher))
            .limit(1)
        )
        found = {
            f"{prefix}attempts": _mine(select(func.count(Submission.id)).where(*counted)),
            f"{prefix}last_at": _mine(select(func.max(Submission.created_at)).where(*counted)),
            f"{prefix}best_id": best,
            f"{prefix}best_score": _mine(
                select(Submission.public_score).where(Submission.id == best)
            ),
            f"{prefix}best_at": _mine(select(Submission.created_at).where(Submission.id == best)),
        }
        if cut:
            # No freeze, nothing to count: the probes are not run (every landing recounts).
            found = {
                name: case((freeze.is_(None), 0 if name.endswith("attempts") else None), else_=q)
                for name, q in found.items()
            }
        values |= found
    return values


def _mine(query: Any) -> Any:
    """``query`` as a scalar subquery over the submissions, correlated to a standings row
    being updated if it names one (never to the submissions of an enclosing query)."""
    return query.correlate_except(Submission).scalar_subquery()


def recount_frozen(session: Session, task: Task) -> None:
    """Recount every standing of ``task`` as of its event's freeze, in the caller's transaction
    (the freeze moved: ``organize.events``). The standings are locked first, in one order, as
    :func:`recount` locks one; the count is a later statement, whose snapshot sees every
    recount committed before it."""
    session.flush()
    session.execute(
        select(Standing.team_id)
        .where(Standing.task_id == task.id)
        .order_by(Standing.team_id)
        .with_for_update()
    ).all()
    session.execute(
        update(Standing)
        .where(Standing.task_id == task.id)
        .values(**_aggregates(session, task, Standing.team_id, live=False))
        .execution_options(synchronize_session=False)
    )


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
        created_at = bindparam("created_at", type_=stored.last_at.type)
        insert = _insert(session)(Standing.__table__).values(
            task_id=bindparam("task_id"),
            team_id=bindparam("team_id"),
            attempts=1,
            last_at=created_at,
            **_first_frozen(_freeze_of(bindparam("task_id")), created_at),
        )
        statement = _COUNT_UPLOAD[dialect] = _counted_once_more(insert)
    return statement


def _counted_once_more(insert: Any) -> Any:
    """``insert`` of a team's standing (one attempt, the last at its ``last_at``) as an upsert:
    a standing already there counts one attempt more, its last the later."""
    stored = Standing.__table__.c
    made_at = insert.excluded.last_at
    # Counted as of its freeze too if made before it (the freeze the standing was counted for).
    before_freeze = stored.frozen_as_of > made_at
    return insert.on_conflict_do_update(
        index_elements=[stored.task_id, stored.team_id],
        set_={
            "attempts": stored.attempts + 1,
            "last_at": case(
                (stored.last_at.is_(None), made_at),
                (stored.last_at < made_at, made_at),
                else_=stored.last_at,
            ),
            "frozen_attempts": stored.frozen_attempts + case((before_freeze, 1), else_=0),
            "frozen_last_at": case(
                (before_freeze & stored.frozen_last_at.is_(None), made_at),
                (before_freeze & (stored.frozen_last_at < made_at), made_at),
                else_=stored.frozen_last_at,
            ),
        },
    )


def _freeze_of(task_id: Any) -> Any:
    """The freeze of the event of the task ``task_id``."""
    return (
        select(Event.freeze_at)
        .join(Task, Task.event_id == Event.id)
        .where(Task.id == task_id)
        .scalar_subquery()
    )


def _first_frozen(freeze: Any, created_at: Any) -> dict[str, Any]:
    """A team's first standing on a task, made by an upload at ``created_at``: counted for the
    event's ``freeze``, with that upload if made before it."""
    return {
        "frozen_as_of": freeze,
        "frozen_attempts": case((created_at < freeze, 1), else_=0),
        "frozen_last_at": case((created_at < freeze, created_at), else_=None),
    }


def counting_upload(insert_submission: Any) -> Any:
    """PostgreSQL: ``insert_submission`` (an INSERT of one submission, RETURNING its columns)
    and :func:`count_upload` of the row it makes, as one statement whose rows are the insert's:
    a round trip fewer on every upload (issue 14). No row inserted: nothing counted."""
    new_row = insert_submission.cte("new_row")
    frozen = _first_frozen(Event.freeze_at, new_row.c.created_at)
    count = _counted_once_more(
        pg_insert(Standing.__table__).from_select(
            ["task_id", "team_id", "attempts", "last_at", *frozen],
            select(
                new_row.c.task_id,
                new_row.c.team_id,
                literal(1),
                new_row.c.created_at,
                *frozen.values(),
            )
            .join(Task, Task.id == new_row.c.task_id)
            .join(Event, Event.id == Task.event_id),
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
    standings), and those of frozen events whose standings were counted for no freeze or
    another (from before migration 0018); returns how many."""
    missing = session.scalars(
        select(Submission.task_id)
        .where(Submission.task_id.not_in(select(Standing.task_id).distinct()))
        .distinct()
    ).all()
    for task_id in missing:
        task = session.get(Task, task_id)
        if task is not None:
            recount_task(session, task)
    unfrozen = session.scalars(
        select(Task)
        .join(Event, Event.id == Task.event_id)
        .where(
            Event.freeze_at.is_not(None),
            select(Standing.team_id)
            .where(
                Standing.task_id == Task.id,
                Standing.frozen_as_of.is_distinct_from(Event.freeze_at),
            )
            .exists(),
        )
    ).all()
    for task in unfrozen:
        recount_frozen(session, task)
    return len(missing) + len(unfrozen)


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

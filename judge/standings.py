"""Each team's aggregates on a task, kept as its submissions change (issue 14).

A live board used to be recomputed from every submission of its task at each score landing;
now each change of a team's submissions recounts that team's ``Standing`` row in the same
transaction — its attempts (``COUNTED``), its last upload and its best public submission under
rule 1, the same as of the event's freeze, and its pick for the private board (rule 2) — from
the team's own rows, by index. A board read is then one read of the task's standings
(``scoreboard.queries``), whatever the number of submissions.

Every path that changes a submission's status, scores or pick calls :func:`recount`: intake (a
new row), the job's start (a row given up), its result, a platform fault, a rejudge, a rescore
and a final pick.
``tests/scoreboard/test_standings.py`` checks the rows against the pure rules after each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.db import Database
from core.models import COUNTED, Event, Standing, Status, Submission, Task, status_in
from judge.metrics import get_metric


# The statuses and NaN are constants of the statements (``status_in``): a partial index serves
# a prepared statement's generic plan only if its predicate names constants.
def scored() -> ColumnElement[bool]:
    """A submission scored."""
    return status_in((Status.SCORED,))


def counted() -> ColumnElement[bool]:
    """A submission that counts as an attempt (``COUNTED``)."""
    return status_in(COUNTED)


def rankable(session: Session, column: Any) -> ColumnElement[bool]:
    """A scored submission whose ``column`` score can rank: NaN never ranks (SQLite stores
    NaN as NULL; PostgreSQL keeps it, and NaN = NaN there)."""
    return and_(scored(), _a_number(session, column))


def _a_number(session: Session, column: Any) -> ColumnElement[bool]:
    """A score that can rank: neither missing nor NaN (as :func:`rankable` says)."""
    condition = column.is_not(None)
    if session.get_bind().dialect.name == "postgresql":
        condition = and_(condition, column != literal_column("'NaN'::float8"))
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
        _recount_statement(session, task), {"of_task": task.id, "of_team": team_id}
    ).one()


# ``recount``'s statement by dialect, direction of the metric and K picks, built once: building
# it and its cache key afresh cost a landing's worker more Python than the database spent on it.
_RECOUNT: dict[tuple[str, bool, int], Any] = {}


def _recount_statement(session: Session, task: Task) -> Any:
    higher = get_metric(task.metric).higher_is_better
    key = (session.get_bind().dialect.name, higher, task.final_picks)
    statement = _RECOUNT.get(key)
    if statement is None:
        team_id = bindparam("of_team")
        statement = _RECOUNT[key] = (
            update(Standing)
            .where(Standing.task_id == bindparam("of_task"), Standing.team_id == team_id)
            .values(**_aggregates(session, higher, task.final_picks, team_id))
            .returning(Standing)
            .execution_options(populate_existing=True, synchronize_session=False)
        )
    return statement


def _aggregates(session: Session, higher: bool, picks: int | None, team_id: Any) -> dict[str, Any]:
    """A team's standing on the task of the parameter ``of_task`` as SQL over its submissions,
    column by column: the live aggregates and its pick among ``picks`` (None: neither, only
    the frozen ones) and those as of the event's freeze (``frozen_*``, counted for the freeze
    the statement reads). ``team_id``: a parameter, or ``Standing.team_id`` to recount every
    standing an UPDATE touches."""
    task_id = bindparam("of_task")
    freeze = _freeze_of(task_id)
    values: dict[str, Any] = {"frozen_as_of": freeze}
    parts = [("frozen_", [Submission.created_at < freeze])]
    if picks is not None:
        parts.insert(0, ("", []))
    for prefix, cut in parts:
        mine = (Submission.task_id == task_id, Submission.team_id == team_id, *cut)
        counted_ones = (*mine, counted())
        best = _mine(
            select(Submission.id)
            .where(*mine, rankable(session, Submission.public_score))
            .order_by(*rule_order(Submission.public_score, higher))
            .limit(1)
        )
        found = {
            f"{prefix}attempts": _mine(select(func.count(Submission.id)).where(*counted_ones)),
            f"{prefix}last_at": _mine(select(func.max(Submission.created_at)).where(*counted_ones)),
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
    if picks is not None:
        values |= _picks(session, task_id, team_id, higher, picks)
    return values


def _picks(session: Session, task_id: Any, team_id: Any, higher: bool, k: int) -> dict[str, Any]:
    """A team's pick for the private board (rule 2) as SQL, column by column: its best by
    private score (ties as rule 1; NaN never ranks) among its first ``k`` scored finals (the
    earliest picked first) if it has any, else among its best ``k`` by public score under
    rule 1 (which the board counts only once the event has ended)."""
    mine = (Submission.task_id == task_id, Submission.team_id == team_id)
    finals = (*mine, scored(), Submission.final.is_(True))
    picked = (Submission.id, Submission.private_score, Submission.created_at)
    first_finals = select(*picked).where(*finals).order_by(Submission.id).limit(k).subquery()
    best_k = (
        select(*picked)
        .where(*mine, rankable(session, Submission.public_score))
        .order_by(*rule_order(Submission.public_score, higher))
        .limit(k)
        .subquery()
    )
    has_finals = select(Submission.id).where(*finals).exists()
    pick = case(
        (has_finals, _best_private(session, first_finals, higher)),
        else_=_best_private(session, best_k, higher),
    )
    return {
        "picks_k": k,
        "picks_final": has_finals,
        "pick_id": pick,
        "pick_score": _mine(select(Submission.private_score).where(Submission.id == pick)),
        "pick_at": _mine(select(Submission.created_at).where(Submission.id == pick)),
    }


def _best_private(session: Session, picks: Any, higher: bool) -> Any:
    """The id of the best of ``picks`` (a subquery of submissions' ids, private scores and
    times) by private score under rule 1's order; NULL if none can rank."""
    score = picks.c.private_score
    return (
        select(picks.c.id)
        .where(_a_number(session, score))
        .order_by(score.desc() if higher else score.asc(), picks.c.created_at, picks.c.id)
        .limit(1)
        .scalar_subquery()
    )


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
        .values(
            **_aggregates(session, get_metric(task.metric).higher_is_better, None, Standing.team_id)
        )
        .execution_options(synchronize_session=False),
        {"of_task": task.id},
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
        k = select(Task.final_picks).where(Task.id == bindparam("task_id")).scalar_subquery()
        insert = _insert(session)(Standing.__table__).values(
            task_id=bindparam("task_id"),
            team_id=bindparam("team_id"),
            attempts=1,
            last_at=created_at,
            **_first_frozen(_freeze_of(bindparam("task_id")), created_at),
            # Its picks: none yet (this upload is not scored), counted for the task's K.
            picks_k=k,
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
            ["task_id", "team_id", "attempts", "last_at", *frozen, "picks_k"],
            select(
                new_row.c.task_id,
                new_row.c.team_id,
                literal(1),
                new_row.c.created_at,
                *frozen.values(),
                Task.final_picks,  # its picks: none yet, counted for the task's K
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
    standings) or standings whose picks were never counted (from before migration 0019), and
    those of frozen events whose standings were counted for no freeze or another (from before
    migration 0018); returns how many."""
    missing = session.scalars(
        select(Submission.task_id)
        .where(Submission.task_id.not_in(select(Standing.task_id).distinct()))
        .distinct()
    ).all()
    unpicked = session.scalars(
        select(Standing.task_id)
        .join(Task, Task.id == Standing.task_id)
        .where(Standing.attempts > 0, Standing.picks_k.is_distinct_from(Task.final_picks))
        .distinct()
    ).all()
    for task_id in [*missing, *unpicked]:
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
    return len(missing) + len(unpicked) + len(unfrozen)


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

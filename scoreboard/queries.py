"""The ranking rules evaluated in the database: per-team aggregates, not every submission.

``scoreboard.ranking`` states the rules as pure functions over all of a task's submissions;
loading 100,000 of them as objects takes seconds. Here the database reduces them to one row
per team (attempt count, last time, best submission), and Python only orders those rows.
On PostgreSQL a public board's best submission per team is one index probe per team (a
``LATERAL … ORDER BY … LIMIT 1`` on the partial indexes ``ix_submissions_best_*``), and the
attempt counts are read from the index ``ix_submissions_counted`` alone; elsewhere, and for the
private board's picks, window functions and GROUP BY that SQLite and PostgreSQL share.
``tests/scoreboard/test_queries.py`` checks that every form gives the boards of the pure rules.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, select
from sqlalchemy.orm import Session

from app.models import Status, Submission, Task, Team
from scoreboard.ranking import Row

COUNTED = (Status.QUEUED, Status.SCORING, Status.SCORED, Status.INVALID)


def _audience(staff: bool) -> list[ColumnElement[bool]]:
    """The teams a board shows: all for staff, else neither hidden nor disqualified."""
    return [] if staff else [Team.hidden.is_(False), Team.disqualified.is_(False)]


def _counted(task: Task, before: datetime | None) -> list[ColumnElement[bool]]:
    """The submissions a board counts: its task, attempts that count, before its cut-off."""
    where: list[ColumnElement[bool]] = [
        Submission.task_id == task.id,
        Submission.status.in_(COUNTED),
    ]
    if before is not None:
        where.append(Submission.created_at < before)
    return where


def _attempts(task: Task, before: datetime | None, staff: bool) -> list[ColumnElement[bool]]:
    """The submissions a board counts, of its audience's teams (joined to ``Team``)."""
    return [*_counted(task, before), *_audience(staff)]


def _rankable(session: Session, column: Any) -> ColumnElement[bool]:
    # NaN never ranks. SQLite stores NaN as NULL; PostgreSQL keeps it (and NaN = NaN there).
    condition = and_(Submission.status == Status.SCORED, column.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        condition = and_(condition, column != literal(float("nan")))
    return condition


def _order(column: Any, higher_is_better: bool) -> list[Any]:
    # Rule 1: better score first, then the earlier submission, then the lower id.
    score = column.desc() if higher_is_better else column.asc()
    return [score, Submission.created_at.asc(), Submission.id.asc()]


def _best(
    session: Session, column: Any, where: list[ColumnElement[bool]], higher_is_better: bool
) -> Select[Any]:
    """Each team's best submission by ``column`` among those matching ``where``."""
    position = func.row_number().over(
        partition_by=Submission.team_id, order_by=_order(column, higher_is_better)
    )
    ranked = (
        select(
            Submission.team_id,
            Submission.id,
            column.label("score"),
            Submission.created_at,
            Team.name,
            Team.hidden,
            Team.disqualified,
            position.label("position"),
        )
        .join(Team, Team.id == Submission.team_id)
        .where(*where, _rankable(session, column))
        .subquery()
    )
    return select(*[c for c in ranked.c if c.name != "position"]).where(ranked.c.position == 1)


def _counts(
    session: Session, task: Task, before: datetime | None, staff: bool
) -> dict[int, tuple[int, datetime]]:
    """Team id → (attempts counted, last attempt's time) for the teams that made any.

    On PostgreSQL a per-team count on the index ``ix_submissions_counted`` (index-only, no
    hashing of the whole task); elsewhere one GROUP BY.
    """
    if session.get_bind().dialect.name != "postgresql":
        found = session.execute(
            select(Submission.team_id, func.count(Submission.id), func.max(Submission.created_at))
            .join(Team, Team.id == Submission.team_id)
            .where(*_attempts(task, before, staff))
            .group_by(Submission.team_id)
        )
        return {team_id: (n, last) for team_id, n, last in found}
    per_team = (
        select(func.count().label("n"), func.max(Submission.created_at).label("last"))
        .where(Submission.team_id == Team.id, *_counted(task, before))
        .lateral()
    )
    found = session.execute(
        select(Team.id, per_team.c.n, per_team.c.last)
        .select_from(Team)
        .join(per_team, literal(True))
        .where(Team.event_id == task.event_id, per_team.c.n > 0, *_audience(staff))
    )
    return {team_id: (n, last) for team_id, n, last in found}


def _best_probed(
    session: Session, task: Task, column: Any, before: datetime | None, staff: bool, higher: bool
) -> Select[Any]:
    """Each team's best submission by ``column``; on PostgreSQL one index probe per team.

    The probe (``LATERAL … ORDER BY … LIMIT 1``) walks the team's scored submissions in rule-1
    order (score, then time, then id) on ``ix_submissions_best_high``/``_low`` and stops at the
    first one before the cut-off, so the cost follows the number of teams, not of submissions.
    SQLite has no LATERAL: embedded events are small, and the window form serves them.
    """
    if session.get_bind().dialect.name != "postgresql":
        return _best(session, column, _attempts(task, before, staff), higher)
    best = (
        select(Submission.id, column.label("score"), Submission.created_at)
        .where(
            Submission.team_id == Team.id,
            *_counted(task, before),
            _rankable(session, column),
        )
        .order_by(*_order(column, higher))
        .limit(1)
        .lateral()
    )
    return (
        select(
            Team.id.label("team_id"),
            best.c.id,
            best.c.score,
            best.c.created_at,
            Team.name,
            Team.hidden,
            Team.disqualified,
        )
        .select_from(Team)
        .join(best, literal(True))
        .where(Team.event_id == task.event_id, *_audience(staff))
    )


# What the private board needs of a picked submission: its private score, and its team, in
# the column order of every best-row query.
PICKED = (
    Submission.team_id,
    Submission.id,
    Submission.private_score.label("score"),
    Submission.created_at,
    Team.name,
    Team.hidden,
    Team.disqualified,
)


def _best_k_public(
    session: Session, task: Task, before: datetime | None, staff: bool, higher: bool
) -> list[Any]:
    """Each team's best K public submissions (K: the task's picks), as ``PICKED`` rows."""
    if session.get_bind().dialect.name != "postgresql":
        position = func.row_number().over(
            partition_by=Submission.team_id, order_by=_order(Submission.public_score, higher)
        )
        ranked = (
            select(*PICKED, position.label("position"))
            .join(Team, Team.id == Submission.team_id)
            .where(*_attempts(task, before, staff), _rankable(session, Submission.public_score))
            .subquery()
        )
        columns = [c for c in ranked.c if c.name != "position"]
        return list(session.execute(select(*columns).where(ranked.c.position <= task.final_picks)))
    # One probe per team on ix_submissions_best_*, as for the public board, taking K rows.
    probe = (
        select(
            Submission.team_id,
            Submission.id,
            Submission.private_score.label("score"),
            Submission.created_at,
        )
        .where(
            Submission.team_id == Team.id,
            *_counted(task, before),
            _rankable(session, Submission.public_score),
        )
        .order_by(*_order(Submission.public_score, higher))
        .limit(task.final_picks)
        .lateral()
    )
    return list(
        session.execute(
            select(*probe.c, Team.name, Team.hidden, Team.disqualified)
            .select_from(Team)
            .join(probe, literal(True))
            .where(Team.event_id == task.event_id, *_audience(staff))
        )
    )


def _private_picks(
    session: Session,
    task: Task,
    before: datetime | None,
    staff: bool,
    higher: bool,
    ended: bool,
) -> list[Any]:
    """Each team's picks (rule 2) as ``PICKED`` rows: its final picks, else, once the event
    has ended, its best-K public submissions.

    Separate small queries on purpose: one nested statement let PostgreSQL, misled by stale
    statistics after a bulk load, re-run the picks per submission (minutes, not milliseconds).
    """
    # At most K finals count, the earliest picked first (the API never lets a team exceed K).
    nth_final = func.row_number().over(
        partition_by=Submission.team_id, order_by=Submission.id.asc()
    )
    numbered = (
        select(*PICKED, nth_final.label("nth"))
        .join(Team, Team.id == Submission.team_id)
        .where(
            *_attempts(task, before, staff),
            Submission.status == Status.SCORED,
            Submission.final.is_(True),
        )
        .subquery()
    )
    columns = [c for c in numbered.c if c.name != "nth"]
    picks = list(session.execute(select(*columns).where(numbered.c.nth <= task.final_picks)))
    if ended:
        with_finals = {row.team_id for row in picks}
        best_k = _best_k_public(session, task, before, staff, higher)
        picks += [row for row in best_k if row.team_id not in with_finals]
    return picks


def _best_picked(picks: list[Any], higher: bool) -> list[Any]:
    """Each team's best pick by private score (rule 2; ties as rule 1; NaN never ranks)."""
    sign = -1.0 if higher else 1.0
    keys: dict[int, tuple[float, datetime, int]] = {}
    best: dict[int, Any] = {}
    for row in picks:
        team_id, submission_id, score, created_at = row[0], row[1], row[2], row[3]  # PICKED
        if score is None or math.isnan(score):
            continue
        key = (sign * score, created_at, submission_id)
        if team_id not in keys or key < keys[team_id]:
            keys[team_id], best[team_id] = key, row
    return list(best.values())


def board_rows(
    session: Session,
    task: Task,
    *,
    private: bool,
    before: datetime | None,
    staff: bool,
    higher_is_better: bool,
    ended: bool,
) -> tuple[list[Row], dict[int, Any]]:
    """A board's ranked rows, and the teams on it (``name``, ``hidden``, ``disqualified``)."""
    counts = _counts(session, task, before, staff)
    if private:
        picks = _private_picks(session, task, before, staff, higher_is_better, ended)
        found = _best_picked(picks, higher_is_better)
    else:
        best = _best_probed(session, task, Submission.public_score, before, staff, higher_is_better)
        found = session.execute(best).all()
    # Plain rows, not Team objects: building 2,000 ORM objects cost more than the queries.
    teams = {r.team_id: r for r in found}
    # Plain tuples from here: named access on 2,000 result rows cost as much as a query.
    sign = -1.0 if higher_is_better else 1.0
    # Every best-row query selects (team_id, id, score, created_at, name, hidden, disqualified).
    ordered = sorted(
        (sign * score, created_at, submission_id, team_id, name, score)
        for team_id, submission_id, score, created_at, name, *_team in found
    )
    rows = []
    for rank, (_key, created_at, submission_id, team_id, name, score) in enumerate(ordered, 1):
        attempts, last = counts[team_id]
        rows.append(
            Row(
                rank=rank,
                team_id=team_id,
                team=name,
                score=score,
                submission_id=submission_id,
                submissions=attempts,
                last_submission_at=last,
                best_at=created_at,
            )
        )
    return rows, teams

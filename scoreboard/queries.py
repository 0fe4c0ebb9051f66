"""The ranking rules evaluated in the database: per-team aggregates, not every submission.

``scoreboard.ranking`` states the rules as pure functions over all of a task's submissions;
loading 100,000 of them as objects takes seconds. Here the database reduces them to one row
per team (attempt count, last time, best submission), and Python only orders those rows.
Every board reads those rows from the standings ``judge.standings`` keeps; when they were not
counted for it (another freeze, a database from before a migration) it computes them. On
PostgreSQL a public board's best submission per team is one index probe per team (a
``LATERAL … ORDER BY … LIMIT 1`` on the partial indexes ``ix_submissions_best_*``), and the
attempt counts are read from the index ``ix_submissions_counted`` alone; elsewhere, and for the
private board's picks, window functions and GROUP BY that SQLite and PostgreSQL share.
``tests/scoreboard/test_queries.py`` checks that every form gives the boards of the pure rules.
"""

from __future__ import annotations

import math
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import Session

from core.models import Standing, Submission, Task, Team
from judge.standings import counted, rankable, rule_order, scored
from scoreboard.ranking import Row, order_key


def _audience(staff: bool) -> list[ColumnElement[bool]]:
    """The teams a board shows: all for staff, else neither hidden nor disqualified."""
    return [] if staff else [Team.hidden.is_(False), Team.disqualified.is_(False)]


def _counted(task: Task, before: datetime | None) -> list[ColumnElement[bool]]:
    """The submissions a board counts: its task, attempts that count, before its cut-off."""
    where: list[ColumnElement[bool]] = [
        Submission.task_id == task.id,
        counted(),
    ]
    if before is not None:
        where.append(Submission.created_at < before)
    return where


def _attempts(task: Task, before: datetime | None, staff: bool) -> list[ColumnElement[bool]]:
    """The submissions a board counts, of its audience's teams (joined to ``Team``)."""
    return [*_counted(task, before), *_audience(staff)]


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


def _columns(score: Any) -> tuple[Any, ...]:
    """What every best-row query selects, in this order: a submission, the score shown for it,
    and its team."""
    return (
        Submission.team_id,
        Submission.id,
        score.label("score"),
        Submission.created_at,
        Team.name,
        Team.hidden,
        Team.disqualified,
    )


def _leading(
    session: Session,
    task: Task,
    score: Any,
    *,
    before: datetime | None,
    staff: bool,
    higher: bool,
    k: int,
) -> list[Any]:
    """Each team's first ``k`` submissions in rule-1 order of the public score (score, then
    time, then id), with ``score`` shown: k = 1 for the public board, K picks for the private.

    On PostgreSQL one probe per team (``LATERAL … ORDER BY … LIMIT k`` on
    ``ix_submissions_best_high``/``_low``), stopping at the k-th row before the cut-off, so the
    cost follows the number of teams, not of submissions. SQLite has no LATERAL: embedded
    events are small, and a window function serves them.
    """
    ranked_by = Submission.public_score
    if session.get_bind().dialect.name != "postgresql":
        position = func.row_number().over(
            partition_by=Submission.team_id, order_by=rule_order(ranked_by, higher)
        )
        ranked = (
            select(*_columns(score), position.label("position"))
            .join(Team, Team.id == Submission.team_id)
            .where(*_attempts(task, before, staff), rankable(session, ranked_by))
            .subquery()
        )
        columns = [c for c in ranked.c if c.name != "position"]
        return list(session.execute(select(*columns).where(ranked.c.position <= k)))
    probe = (
        select(*_columns(score)[:4])  # the submission part; the team joins outside
        .where(Submission.team_id == Team.id, *_counted(task, before), rankable(session, ranked_by))
        .order_by(*rule_order(ranked_by, higher))
        .limit(k)
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
    """Each team's picks (rule 2), with their private scores: its final picks, else, once the
    event has ended, its best-K public submissions.

    Separate small queries on purpose: one nested statement let PostgreSQL, misled by stale
    statistics after a bulk load, re-run the picks per submission (minutes, not milliseconds).
    """
    # At most K finals count, the earliest picked first (the API never lets a team exceed K).
    nth_final = func.row_number().over(
        partition_by=Submission.team_id, order_by=Submission.id.asc()
    )
    numbered = (
        select(*_columns(Submission.private_score), nth_final.label("nth"))
        .join(Team, Team.id == Submission.team_id)
        .where(
            *_attempts(task, before, staff),
            scored(),
            Submission.final.is_(True),
        )
        .subquery()
    )
    columns = [c for c in numbered.c if c.name != "nth"]
    picks = list(session.execute(select(*columns).where(numbered.c.nth <= task.final_picks)))
    if ended:
        with_finals = {row.team_id for row in picks}
        best_k = _leading(
            session,
            task,
            Submission.private_score,
            before=before,
            staff=staff,
            higher=higher,
            k=task.final_picks,
        )
        picks += [row for row in best_k if row.team_id not in with_finals]
    return picks


def _best_picked(picks: list[Any], higher: bool) -> list[Any]:
    """Each team's best pick by private score (rule 2; ties as rule 1; NaN never ranks)."""
    keys: dict[int, tuple[float, datetime, int]] = {}
    best: dict[int, Any] = {}
    for row in picks:
        team_id, submission_id, score, created_at = row[0], row[1], row[2], row[3]  # _columns
        if score is None or math.isnan(score):
            continue
        key = order_key(score, created_at, submission_id, higher)
        if team_id not in keys or key < keys[team_id]:
            keys[team_id], best[team_id] = key, row
    return list(best.values())


# A standing as the boards read it: first as ``_columns`` names a best row, then the counts.
_STANDING = {
    "team_id": Standing.team_id,
    "id": Standing.best_id,
    "score": Standing.best_score,
    "created_at": Standing.best_at,
    "name": Team.name,
    "hidden": Team.hidden,
    "disqualified": Team.disqualified,
    "attempts": Standing.attempts,
    "last_at": Standing.last_at,
    "frozen_as_of": Standing.frozen_as_of,
    "frozen_best_id": Standing.frozen_best_id,
    "frozen_best_score": Standing.frozen_best_score,
    "frozen_best_at": Standing.frozen_best_at,
    "frozen_attempts": Standing.frozen_attempts,
    "frozen_last_at": Standing.frozen_last_at,
    "picks_k": Standing.picks_k,
    "picks_final": Standing.picks_final,
    "pick_id": Standing.pick_id,
    "pick_score": Standing.pick_score,
    "pick_at": Standing.pick_at,
}
# Positions, not names: a named read of a result row costs ~0.3 µs, and a board reads 2,000
# rows several times (the private board's picks took 6 ms to gather by name).
_AT = {name: i for i, name in enumerate(_STANDING)}
_TEAM, _ID, _ATTEMPTS, _HIDDEN, _DISQUALIFIED = (
    _AT[name] for name in ("team_id", "id", "attempts", "hidden", "disqualified")
)


def _standings_query(task: Task) -> Select[Any]:
    return (
        select(*(column.label(name) for name, column in _STANDING.items()))
        .join(Team, Team.id == Standing.team_id)
        .where(Standing.task_id == task.id)
    )


class Standings:
    """A task's standings read once for all its boards: a refresh computes three boards (the
    public, the staff board, the private board's counts) from the same rows, which were three
    reads of them, 403 times each in a rush (issue 14). Filtered here as each board's query
    filtered them."""

    def __init__(self, session: Session, task: Task) -> None:
        self.session = session
        self.task_id = task.id
        self._rows: list[Any] | None = None

    def rows(self, task: Task, staff: bool, scored_only: bool) -> list[Any]:
        assert task.id == self.task_id, "standings of another task"
        if self._rows is None:
            self._rows = list(self.session.execute(_standings_query(task)))
        return [
            row
            for row in self._rows
            if (row[_ID] is not None if scored_only else row[_ATTEMPTS] > 0)
            and (staff or not (row[_HIDDEN] or row[_DISQUALIFIED]))
        ]


class TeamBest(NamedTuple):
    """A team's best for a board as a standing holds it (as of the freeze, or its pick), in
    the order of ``_columns``."""

    team_id: int
    id: int | None
    score: float | None
    created_at: datetime | None
    name: str
    hidden: bool
    disqualified: bool


def _kept(
    every: list[Any], best: tuple[str, str, str], counts: tuple[str, str], shown: Any
) -> tuple[list[Any], dict[int, tuple[int, datetime]]]:
    """A board's best row and attempts per team from standings ``every``: the columns ``best``
    (id, score, time) of the teams that ``shown(row)`` keeps, and the columns ``counts``
    (attempts, last) of the teams with any attempt."""
    best_of = itemgetter(_TEAM, *(_AT[name] for name in best), _AT["name"], _HIDDEN, _DISQUALIFIED)
    attempts, last = (_AT[name] for name in counts)
    found = [TeamBest._make(best_of(row)) for row in every if shown(row)]
    return found, {row[_TEAM]: (row[attempts], row[last]) for row in every if row[attempts] > 0}


def _frozen_standing_rows(
    session: Session, task: Task, staff: bool, before: datetime, standings: Standings | None
) -> tuple[list[Any], dict[int, tuple[int, datetime]]] | None:
    """The frozen public board's best submission and attempts per team as of ``before`` (the
    freeze), read from the standings if they were all counted for it; else None."""
    every = (standings or Standings(session, task)).rows(task, staff=staff, scored_only=False)
    as_of, best_id = _AT["frozen_as_of"], _AT["frozen_best_id"]
    if any(row[as_of] != before for row in every):
        return None  # counted for no freeze, or another: the submissions decide
    return _kept(
        every,
        ("frozen_best_id", "frozen_best_score", "frozen_best_at"),
        ("frozen_attempts", "frozen_last_at"),
        lambda row: row[best_id] is not None,
    )


def _picked_standing_rows(
    session: Session, task: Task, staff: bool, ended: bool, standings: Standings | None
) -> tuple[list[Any], dict[int, tuple[int, datetime]]] | None:
    """The private board's pick and attempts per team, read from the standings if they were
    all counted for the task's K picks; else None. A pick among a team's best K by public
    score (it picked no finals) counts once the event has ended (rule 2)."""
    every = (standings or Standings(session, task)).rows(task, staff=staff, scored_only=False)
    k, counted_for, pick_id, final = (
        task.final_picks,
        _AT["picks_k"],
        _AT["pick_id"],
        _AT["picks_final"],
    )
    if any(row[counted_for] != k for row in every):
        return None  # counted before the picks were kept: the submissions decide
    return _kept(
        every,
        ("pick_id", "pick_score", "pick_at"),
        ("attempts", "last_at"),
        lambda row: row[pick_id] is not None and (row[final] or ended),
    )


def _standing_rows(
    session: Session,
    task: Task,
    staff: bool,
    *,
    scored_only: bool = True,
    standings: Standings | None = None,
) -> tuple[list[Any], dict[int, tuple[int, datetime]]]:
    """A live board's best submission and attempts per team, read from the standings that
    every change of a team's submissions keeps (``judge.standings``): one indexed read, or
    none when ``standings`` read them already."""
    if standings is not None:
        found = standings.rows(task, staff, scored_only)
    else:
        found = session.execute(
            _standings_query(task).where(
                Standing.best_id.is_not(None) if scored_only else Standing.attempts > 0,
                *_audience(staff),
            )
        ).all()
    last = _AT["last_at"]
    return list(found), {row[_TEAM]: (row[_ATTEMPTS], row[last]) for row in found}


def board_rows(
    session: Session,
    task: Task,
    *,
    private: bool,
    before: datetime | None,
    staff: bool,
    higher_is_better: bool,
    ended: bool,
    standings: Standings | None = None,
) -> tuple[list[Row], dict[int, Any]]:
    """A board's ranked rows, and the teams on it (``name``, ``hidden``, ``disqualified``).

    Every board reads the standings (``standings``: as read already for another board of the
    task): the live boards their best, a frozen one their best as of the freeze, the private
    board their picks. A board whose standings were not counted for it (for another freeze,
    or from before a migration) and a private board as of a moment are computed from the
    submissions.
    """
    kept = None
    if private and before is None:
        kept = _picked_standing_rows(session, task, staff, ended, standings)
    elif before is not None and not private:
        kept = _frozen_standing_rows(session, task, staff, before, standings)
    if not private and before is None:
        found, counts = _standing_rows(session, task, staff, standings=standings)
    elif kept is not None:
        found, counts = kept
    else:
        found, counts = _board_inputs(
            session, task, private, before, staff, higher_is_better, ended, standings
        )
    return _ranked(found, counts, higher_is_better)


def _board_inputs(
    session: Session,
    task: Task,
    private: bool,
    before: datetime | None,
    staff: bool,
    higher_is_better: bool,
    ended: bool,
    standings: Standings | None = None,
) -> tuple[list[Any], dict[int, tuple[int, datetime]]]:
    """Each team's best row and attempt counts, from the submissions themselves (the live
    private board's counts from the standings, which hold the same)."""
    if before is None:
        counts = _standing_rows(session, task, staff, scored_only=False, standings=standings)[1]
    else:
        counts = _counts(session, task, before, staff)
    if private:
        picks = _private_picks(session, task, before, staff, higher_is_better, ended)
        found = _best_picked(picks, higher_is_better)
    else:
        found = _leading(
            session,
            task,
            Submission.public_score,
            before=before,
            staff=staff,
            higher=higher_is_better,
            k=1,
        )
    return found, counts


def _ranked(
    found: list[Any], counts: dict[int, tuple[int, datetime]], higher_is_better: bool
) -> tuple[list[Row], dict[int, Any]]:
    # Plain rows, not Team objects: building 2,000 ORM objects cost more than the queries.
    teams = {r.team_id: r for r in found}
    # Plain tuples from here: named access on 2,000 result rows cost as much as a query.
    # In the order of _columns.
    ordered = sorted(
        (order_key(score, created_at, submission_id, higher_is_better), team_id, name, score)
        for team_id, submission_id, score, created_at, name, *_team in found
    )
    rows = []
    for rank, ((_s, created_at, submission_id), team_id, name, score) in enumerate(ordered, 1):
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

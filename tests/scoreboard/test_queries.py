"""The boards the database computes agree with the pure ranking rules, on SQLite and
PostgreSQL: random submissions with ties, NaN, invalid and queued attempts, final picks,
hidden and disqualified teams, cut at random freeze moments."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from core.db import utcnow
from core.models import Status, Submission, Task, Team
from judge.metrics import get_metric
from judge.standings import recount_task
from scoreboard.boards import load_entries
from scoreboard.queries import Standings, board_rows
from scoreboard.ranking import private_board, public_board
from tests.helpers import Contest

STATUSES = [Status.SCORED] * 6 + [Status.INVALID, Status.QUEUED, Status.FAILED, Status.SCORING]


def populate(seed: int) -> None:
    """Random submissions written as rows (then the standings recounted, as a backfill does),
    on a task whose metric is higher-is-better for even seeds, lower-is-better for odd."""
    rng = random.Random(seed)
    now = utcnow()
    with db.begin() as session:
        task = session.scalars(select(Task)).one()
        task.metric = "rmse" if seed % 2 else "roc_auc"
        teams = list(session.scalars(select(Team)))
        for i in range(12):
            team = Team(event_id=task.event_id, name=f"extra{i}", invite_code=f"x{seed}-{i}")
            team.hidden = rng.random() < 0.1
            team.disqualified = rng.random() < 0.1
            session.add(team)
            teams.append(team)
        session.flush()
        for _ in range(150):
            team = rng.choice(teams)
            status = rng.choice(STATUSES)
            score = lambda: rng.choice([round(rng.random(), 1), float("nan"), None])  # noqa: E731
            session.add(
                Submission(
                    task_id=task.id,
                    team_id=team.id,
                    filename="p.csv",
                    stored_path="unused",
                    sha256="0" * 64,
                    size=1,
                    # Whole seconds: equal times happen, so the id tie-break is exercised.
                    created_at=now - timedelta(seconds=rng.randint(0, 40)),
                    status=status,
                    public_score=score() if status == Status.SCORED else None,
                    private_score=score() if status == Status.SCORED else None,
                    final=status == Status.SCORED and rng.random() < 0.15,
                )
            )
        recount_task(session, task)


def plain(rows: list) -> list[tuple]:
    # NaN never appears on a board, so == comparisons are safe.
    return [
        (r.rank, r.team_id, r.score, r.submission_id, r.submissions, r.last_submission_at)
        for r in rows
    ]


@pytest.mark.parametrize("seed", range(4))
def test_database_boards_match_the_rules(app: Flask, contest: Contest, seed: int) -> None:
    populate(seed)
    rng = random.Random(seed)
    with db.begin() as session:
        task = session.scalars(select(Task)).one()
        shared = Standings(session, task)
        for _ in range(6):
            staff = rng.random() < 0.5
            before = (
                utcnow() - timedelta(seconds=rng.randint(0, 45)) if rng.random() < 0.5 else None
            )
            # The live boards read the standings, kept in the task's metric's direction.
            higher = (
                get_metric(task.metric).higher_is_better if before is None else rng.random() < 0.5
            )
            ended = rng.random() < 0.5
            entries, _ = load_entries(session, task, before=before, staff=staff)
            for private in (False, True):
                expected = (
                    private_board(
                        sorted(entries, key=lambda e: e.submission_id),
                        task.final_picks,
                        higher,
                        ended,
                    )
                    if private
                    else public_board(entries, higher)
                )
                # Each board alone, and as a refresh reads them: the standings once for all.
                for standings in (None, shared):
                    got, teams = board_rows(
                        session,
                        task,
                        private=private,
                        before=before,
                        staff=staff,
                        higher_is_better=higher,
                        ended=ended,
                        standings=standings,
                    )
                    assert plain(got) == plain(expected), (higher, staff, before, ended, private)
                    assert set(teams) == {r.team_id for r in got}


def test_a_refresh_of_every_board_reads_the_standings_once_and_agrees_with_each_alone(
    app: Flask, contest: Contest
) -> None:
    from sqlalchemy import event as sa_event

    from core.models import Event
    from scoreboard.boards import Board, refresh_board, refresh_boards, refresh_task

    populate(0)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    assert db.session_factory is not None
    with db.session_factory() as session:
        task = session.scalars(select(Task)).one()
        event = session.get(Event, task.event_id)
        ids = (event.id, task.id)
        alone = {board: refresh_board(session, event, task, board) for board in Board}
        session.rollback()  # the versions as they were: each way bumps them once
        sa_event.listen(db.engine, "before_cursor_execute", seen)
        try:
            together = refresh_boards(session, event, task)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", seen)
            session.rollback()
        # The publisher's way: the task and event come with the locked counters.
        statements_before = len(statements)
        sa_event.listen(db.engine, "before_cursor_execute", seen)
        try:
            by_id = refresh_task(session, ids[1])
            missing = refresh_task(session, ids[1] + 1000)
            assert by_id is not None
            assert (by_id[0].id, by_id[1].id) == ids
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", seen)
            session.rollback()
        publishers = statements[statements_before:]
        statements = statements[:statements_before]
    assert missing is None
    assert by_id[2] == together
    read_first = [s for s in publishers if s.lstrip().upper().startswith("SELECT")][0]
    assert "FROM board_states JOIN tasks" in read_first and "JOIN events" in read_first
    assert not any(s.lstrip().upper().startswith("SELECT TASKS") for s in publishers)
    assert [(board, data, changed) for board, data, changed in together] == [
        (board, *alone[board]) for board in Board
    ]
    assert all(changed for _board, _data, changed in together)  # the versions moved
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert sum("FROM standings" in s for s in reads) == 1
    assert sum("FROM board_states" in s for s in reads) == 1

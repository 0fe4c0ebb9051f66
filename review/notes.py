"""Judges' notes on teams: comments, flags on submissions, declared conflicts of interest."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db import iso
from core.models import (
    Assignment,
    Comment,
    Conflict,
    Event,
    Flag,
    Role,
    RubricScore,
    Submission,
    Team,
    User,
)
from review import assignment as assigning
from review.results import task_statistics
from review.reviews import ReviewError, assigned, audit

FLAG_KINDS = ("leakage", "late", "cheating", "other")


def add_comment(session: Session, event: Event, judge: User, team: Team, text: str) -> Comment:
    text = text.strip()
    if not text:
        raise ReviewError("The comment is empty.", 400)
    if not assigned(session, judge, team):
        raise ReviewError("You are not assigned to this team.", 403)
    item = Comment(team_id=team.id, judge_id=judge.id, text=text[:5000])
    session.add(item)
    session.flush()
    return item


def comments(session: Session, event: Event, viewer: User, team: Team) -> list[dict[str, Any]]:
    """A judge reads only their own comments until the lock; organizers read all."""
    query = (
        select(Comment, User)
        .join(User, User.id == Comment.judge_id)
        .where(Comment.team_id == team.id)
        .order_by(Comment.id)
    )
    if viewer.role == Role.JUDGE and event.review_locked_at is None:
        query = query.where(Comment.judge_id == viewer.id)
    return [
        {"id": c.id, "judge": u.name or u.email, "text": c.text, "at": iso(c.created_at)}
        for c, u in session.execute(query)
    ]


def add_flag(
    session: Session, event: Event, judge: User, sub: Submission, kind: str, note: str
) -> Flag:
    if kind not in FLAG_KINDS:
        raise ReviewError("kind must be one of %(kinds)s.", 400, kinds=", ".join(FLAG_KINDS))
    team = session.get(Team, sub.team_id)
    if team is None or team.event_id != event.id or not assigned(session, judge, team):
        raise ReviewError("You are not assigned to this submission's team.", 403)
    item = Flag(submission_id=sub.id, judge_id=judge.id, kind=kind, note=note.strip()[:2000])
    session.add(item)
    session.flush()
    return item


def flags(session: Session, event: Event) -> list[dict[str, Any]]:
    """Every flag of the event, newest first, for organizers."""
    rows = session.execute(
        select(Flag, Submission, Team, User)
        .join(Submission, Submission.id == Flag.submission_id)
        .join(Team, Team.id == Submission.team_id)
        .join(User, User.id == Flag.judge_id)
        .where(Team.event_id == event.id)
        .order_by(Flag.id.desc())
    )
    return [
        {
            "id": f.id,
            "submission_id": s.id,
            "team_id": t.id,
            "team": t.name,
            "disqualified": t.disqualified,
            "judge": u.name or u.email,
            "kind": f.kind,
            "note": f.note,
            "at": iso(f.created_at),
        }
        for f, s, t, u in rows
    ]


def declare_conflict(session: Session, event: Event, judge: User, team: Team, reason: str) -> None:
    """A judge declares a conflict: the assignment and its scores go; organizers reassign."""
    if event.review_locked_at is not None:
        raise ReviewError("Review is locked.")
    if (
        session.scalars(
            select(Conflict).where(Conflict.judge_id == judge.id, Conflict.team_id == team.id)
        ).first()
        is None
    ):
        session.add(Conflict(judge_id=judge.id, team_id=team.id, reason=reason.strip()[:500]))
    session.execute(
        delete(Assignment).where(Assignment.judge_id == judge.id, Assignment.team_id == team.id)
    )
    session.execute(
        delete(RubricScore).where(RubricScore.judge_id == judge.id, RubricScore.team_id == team.id)
    )
    audit(session, event, judge, "conflict.declare", team.name, None, {"reason": reason})


# --- who may see a team's submissions and scores -------------------------------------------
# One rule for every path that shows a team's submissions, files or private scores to staff
# (the submission API, the team's file page, staff and private boards, statistics, the final
# ranking): a judge sees nothing of a team they have a conflict of interest with, the same
# conflict that keeps them off its assignment (review.assignment.eligible: declared, or the
# team's affiliation). Organizers see everything; participants are ruled elsewhere.


def conflicted_teams(session: Session, viewer: User | None, event: Event) -> dict[int, str]:
    """The event's teams whose submissions and scores ``viewer`` may not see: id → name."""
    if viewer is None or viewer.role != Role.JUDGE:
        return {}
    declared = frozenset(
        session.scalars(select(Conflict.team_id).where(Conflict.judge_id == viewer.id))
    )
    judge = assigning.Judge(viewer.id, viewer.name, viewer.affiliation, declared)
    return {
        team.id: team.name
        for team in session.scalars(select(Team).where(Team.event_id == event.id))
        if not assigning.eligible(judge, assigning.Candidate(team.id, team.name, team.affiliation))
    }


def may_see_team(session: Session, viewer: User, team: Team) -> bool:
    """Whether ``viewer`` (staff) may see this team's submissions, files and scores."""
    event = session.get(Event, team.event_id)
    return event is not None and team.id not in conflicted_teams(session, viewer, event)


def without_teams(rows: Iterable[dict[str, Any]], unseen: dict[int, str]) -> list[dict[str, Any]]:
    """Rows (board rows, statistics, the final ranking) minus those of ``unseen`` teams, by
    id where a row carries one and by name (unique in an event) where it does not.

    The ranks left are closed up (and rank intervals with them): a gap at 3 between 2 and 4
    would tell where the hidden team stands, and the neighbours' scores would bracket its own.
    Public ranks stay: the public board shows them to everyone."""
    names = set(unseen.values())

    def hidden(row: dict[str, Any]) -> bool:
        return row["team_id"] in unseen if "team_id" in row else row.get("team") in names

    rows = list(rows)
    gone = [row for row in rows if hidden(row)]
    if not gone:
        return rows
    holes = {key: sorted(r[key] for r in gone if r.get(key) is not None) for key in RANK_KEYS}

    def closed(value: int | None, key: str) -> int | None:
        return None if value is None else value - bisect_left(holes[key], value)

    kept = []
    for row in rows:
        if hidden(row):
            continue
        row = {**row, **{k: closed(row[k], k) for k in RANK_KEYS if k in row}}
        if isinstance(row.get("interval"), list):
            row["interval"] = [closed(bound, "rank") for bound in row["interval"]]
        kept.append(row)
    return kept


RANK_KEYS = ("rank", "private_rank")  # private positions; an ``interval`` is in ``rank``'s


def statistics_for(
    session: Session, viewer: User, event: Event, storage_dir: Path
) -> list[dict[str, Any]]:
    """Each task's statistics (``results.task_statistics``) as ``viewer`` may see them."""
    unseen = conflicted_teams(session, viewer, event)
    shown = []
    for task in event.tasks:
        stats = task_statistics(session, event, task, storage_dir)
        movers = without_teams(stats["shake_up"]["movers"], unseen)
        shown.append(
            {
                **stats,
                "shake_up": {**stats["shake_up"], "movers": movers},
                "rank_intervals": without_teams(stats["rank_intervals"], unseen),
            }
        )
    return shown

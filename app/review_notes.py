"""Judges' notes on teams: comments, flags on submissions, declared conflicts of interest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import (
    Assignment,
    Comment,
    Conflict,
    Event,
    Flag,
    RubricScore,
    Submission,
    Team,
    User,
)
from app.reviews import ReviewError, assigned, audit
from scoreboard.boards import iso

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
    if viewer.role == "judge" and event.review_locked_at is None:
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

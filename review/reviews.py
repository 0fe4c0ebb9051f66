"""Human review in the database: criteria, assignment, rubric scores, lock, the final ranking.

The arithmetic lives in ``review`` (pure functions); this module reads and writes rows, checks
who may do what, and writes organizers' changes to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.audit import audit
from core.db import iso
from core.errors import Param, TranslatableError
from core.models import (
    Assignment,
    Conflict,
    Criterion,
    Event,
    Reveal,
    Role,
    RubricScore,
    Task,
    Team,
    User,
)
from judge.metrics import get_metric
from review import assignment as assigning
from review import scoring
from scoreboard.queries import board_rows
from scoreboard.ranking import Row

# What a criterion may name as the part of the team's work it judges (Criterion.judges; ""
# judges the team as a whole): the sections of the judge's page for a team, which links the
# criterion to its part, so a judge scoring "기술성: 코드와 모델" goes straight to the code.
JUDGED_PARTS = ("scores", "project", "code", "demo", "slides")


class ReviewError(TranslatableError, ValueError):
    """A review action refused; ``status`` is the HTTP code the API answers with."""

    def __init__(self, template: str, status: int = 409, /, **params: Param) -> None:
        super().__init__(template, **params)
        self.status = status


def criteria_of(session: Session, event: Event) -> list[Criterion]:
    return list(
        session.scalars(
            select(Criterion).where(Criterion.event_id == event.id).order_by(Criterion.id)
        )
    )


def add_criterion(
    session: Session,
    event: Event,
    actor: User,
    name: str,
    weight: float,
    scale: float,
    description: str = "",
    judges: str = "",
) -> Criterion:
    name = name.strip()
    if not name or weight <= 0 or scale <= 0:
        raise ReviewError("A criterion needs a name, a positive weight and a positive scale.", 400)
    if judges not in ("", *JUDGED_PARTS):
        raise ReviewError(
            "A criterion judges one of %(parts)s, or the team as a whole (empty).",
            400,
            parts=", ".join(JUDGED_PARTS),
        )
    if event.review_locked_at is not None:
        raise ReviewError("Review is locked.")
    if any(c.name == name for c in criteria_of(session, event)):
        raise ReviewError("There is already a criterion %(name)s.", name=repr(name))
    item = Criterion(
        event_id=event.id,
        name=name,
        weight=weight,
        scale=scale,
        description=description,
        judges=judges,
    )
    session.add(item)
    session.flush()
    after = {"weight": weight, "scale": scale, "judges": judges}
    audit(session, event, actor, "criterion.add", name, None, after)
    return item


def private_rows(session: Session, event: Event) -> dict[str, list[Row]]:
    """Each task's private board, best first (as the public sees it once revealed)."""
    return {
        task.slug: board_rows(
            session,
            task,
            private=True,
            before=None,
            staff=False,
            higher_is_better=get_metric(task.metric).higher_is_better,
            ended=True,
        )[0]
        for task in event.tasks
    }


def teams_in_review(session: Session, event: Event) -> list[Team]:
    """Every visible team, or the top N by the automatic part (mean private percentile)."""
    teams = list(
        session.scalars(
            select(Team)
            .where(Team.event_id == event.id, Team.hidden.is_(False))
            .where(Team.disqualified.is_(False))
            .order_by(Team.id)
        )
    )
    if event.review_top_n is None or event.review_top_n >= len(teams):
        return teams
    ids = [t.id for t in teams]
    boards = private_rows(session, event)
    auto = {t: 0.0 for t in ids}
    for rows in boards.values():
        ranked = [r.team_id for r in rows]
        for team_id, pct in scoring.board_percentiles(ranked, ids).items():
            auto[team_id] += pct / max(len(boards), 1)
    keep = set(sorted(ids, key=lambda t: (-auto[t], t))[: event.review_top_n])
    return [t for t in teams if t.id in keep]


def judges_of(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.JUDGE).order_by(User.id)))


def assign_judges(
    session: Session, event: Event, actor: User, per_team: int, top_n: int | None
) -> dict[int, list[int]]:
    """Replace the event's assignments with a fresh balanced, conflict-free one."""
    if event.review_locked_at is not None:
        raise ReviewError("Review is locked.")
    scored = session.scalar(
        select(func.count(RubricScore.id))
        .join(Team, Team.id == RubricScore.team_id)
        .where(Team.event_id == event.id)
    )
    if scored:
        raise ReviewError(
            "Judges have entered %(count)d score(s): a new assignment would drop them. "
            "Move single assignments by hand instead.",
            count=scored,
        )
    before = {"per_team": event.judges_per_team, "top_n": event.review_top_n}
    event.judges_per_team, event.review_top_n = per_team, top_n
    teams = teams_in_review(session, event)
    conflicts: dict[int, set[int]] = {}
    for c in session.scalars(select(Conflict).where(Conflict.team_id.in_([t.id for t in teams]))):
        conflicts.setdefault(c.judge_id, set()).add(c.team_id)
    try:
        result = assigning.assign(
            [assigning.Candidate(t.id, t.name, t.affiliation) for t in teams],
            [
                assigning.Judge(
                    j.id, j.name or j.email, j.affiliation, frozenset(conflicts.get(j.id, ()))
                )
                for j in judges_of(session)
            ],
            per_team,
        )
    except assigning.AssignmentRefused as exc:
        # The same template and params: the reader's language is chosen when shown.
        raise ReviewError(exc.template, 422, **exc.params) from None
    session.execute(delete(Assignment).where(Assignment.event_id == event.id))
    for team_id, judge_ids in result.items():
        for judge_id in judge_ids:
            session.add(Assignment(event_id=event.id, team_id=team_id, judge_id=judge_id))
    audit(
        session,
        event,
        actor,
        "assignments.replace",
        event.slug,
        before,
        {"per_team": per_team, "top_n": top_n, "assignments": result},
    )
    session.flush()
    return result


def assigned(session: Session, judge: User, team: Team) -> bool:
    return (
        session.scalars(
            select(Assignment).where(Assignment.team_id == team.id, Assignment.judge_id == judge.id)
        ).first()
        is not None
    )


def set_scores(
    session: Session, event: Event, judge: User, team: Team, scores: dict[int, float], now: datetime
) -> dict[int, float]:
    """A judge's rubric scores for an assigned team (editable until the lock)."""
    if event.review_locked_at is not None:
        raise ReviewError("Review is locked: scores can no longer change.")
    if not assigned(session, judge, team):
        raise ReviewError("You are not assigned to this team.", 403)
    criteria = {c.id: c for c in criteria_of(session, event)}
    for criterion_id, value in scores.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise ReviewError("No criterion %(id)s in this event.", 400, id=criterion_id)
        if not 0 <= value <= criterion.scale:
            raise ReviewError(
                "%(criterion)s: %(value)s is outside 0–%(scale)s.",
                400,
                criterion=criterion.name,
                value=format(value, "g"),
                scale=format(criterion.scale, "g"),
            )
    existing = {
        s.criterion_id: s
        for s in session.scalars(
            select(RubricScore).where(
                RubricScore.judge_id == judge.id, RubricScore.team_id == team.id
            )
        )
    }
    for criterion_id, value in scores.items():
        row = existing.get(criterion_id)
        if row is None:
            session.add(
                RubricScore(
                    judge_id=judge.id,
                    team_id=team.id,
                    criterion_id=criterion_id,
                    score=value,
                    updated_at=now,
                )
            )
        else:
            row.score, row.updated_at = value, now
    session.flush()
    return my_scores(session, judge, team)


def my_scores(session: Session, judge: User, team: Team) -> dict[int, float]:
    return {
        s.criterion_id: s.score
        for s in session.scalars(
            select(RubricScore).where(
                RubricScore.judge_id == judge.id, RubricScore.team_id == team.id
            )
        )
    }


def lock(session: Session, event: Event, actor: User, now: datetime) -> None:
    if event.review_locked_at is not None:
        raise ReviewError("Review is already locked.")
    event.review_locked_at = now
    audit(session, event, actor, "review.lock", event.slug, None, iso(now))


def _not_mid_reveal(session: Session, event: Event) -> None:
    """A reveal's plan is fixed at its first press: changing the teams mid-way would leave
    the projector showing a team the boards no longer hold."""
    running = session.scalar(
        select(func.count(Reveal.task_id))
        .join(Task, Task.id == Reveal.task_id)
        .where(Task.event_id == event.id, Reveal.finished_at.is_(None))
    )
    if running:
        raise ReviewError(
            "A reveal is in progress: disqualify or reinstate teams before it starts or after "
            "it ends."
        )


def disqualify(session: Session, event: Event, actor: User, team: Team, reason: str) -> None:
    """Rule 7: the team leaves the public and private boards (staff still see it, marked)."""
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewError("Give the reason for the disqualification.", 400)
    _not_mid_reveal(session, event)
    before = {"disqualified": team.disqualified, "reason": team.disqualified_reason}
    team.disqualified, team.disqualified_reason = True, reason
    audit(
        session,
        event,
        actor,
        "team.disqualify",
        team.name,
        before,
        {"disqualified": True, "reason": reason},
    )


def reinstate(session: Session, event: Event, actor: User, team: Team) -> None:
    _not_mid_reveal(session, event)
    before = {"disqualified": team.disqualified, "reason": team.disqualified_reason}
    team.disqualified, team.disqualified_reason = False, ""
    audit(session, event, actor, "team.reinstate", team.name, before, {"disqualified": False})


def move_assignment(
    session: Session, event: Event, actor: User, team: Team, remove: int | None, add: int | None
) -> list[int]:
    """Organizers adjust by hand: take a judge off a team and/or put one on (never a COI)."""
    if event.review_locked_at is not None:
        raise ReviewError("Review is locked.")
    current = [
        a.judge_id for a in session.scalars(select(Assignment).where(Assignment.team_id == team.id))
    ]
    if add is not None:
        judge = session.get(User, add)
        if judge is None or judge.role != Role.JUDGE:
            raise ReviewError("No judge %(judge)s.", 404, judge=add)
        declared = {
            c.team_id for c in session.scalars(select(Conflict).where(Conflict.judge_id == add))
        }
        candidate = assigning.Candidate(team.id, team.name, team.affiliation)
        if not assigning.eligible(
            assigning.Judge(judge.id, judge.name, judge.affiliation, frozenset(declared)), candidate
        ):
            raise ReviewError(
                "%(judge)s has a conflict of interest with %(team)s.",
                judge=judge.name or judge.email,
                team=team.name,
            )
        if add not in current:
            session.add(Assignment(event_id=event.id, team_id=team.id, judge_id=add))
    if remove is not None:
        session.execute(
            delete(Assignment).where(Assignment.team_id == team.id, Assignment.judge_id == remove)
        )
    after = sorted({*current, *([add] if add else [])} - ({remove} if remove else set()))
    audit(session, event, actor, "assignments.move", team.name, sorted(current), after)
    session.flush()
    return after


def set_weights(
    session: Session, event: Event, actor: User, w_auto: float, w_review: float
) -> None:
    """Organizers set the blend (default 0.7 / 0.3) until the ranking is published."""
    if event.final_board:
        raise ReviewError("The final ranking is published; its weights no longer change.")
    if w_auto < 0 or w_review < 0 or w_auto + w_review <= 0:
        raise ReviewError("Weights must be non-negative and not both zero.", 400)
    before = {"w_auto": event.w_auto, "w_review": event.w_review}
    event.w_auto, event.w_review = w_auto, w_review
    audit(
        session,
        event,
        actor,
        "weights.set",
        event.slug,
        before,
        {"w_auto": w_auto, "w_review": w_review},
    )


def progress(session: Session, event: Event, judge_id: int | None = None) -> list[dict[str, Any]]:
    """Each assignment with how many criteria its judge has scored (one query for all)."""
    needed = len(criteria_of(session, event))
    scored = (
        select(func.count(RubricScore.id))
        .where(RubricScore.judge_id == Assignment.judge_id, RubricScore.team_id == Team.id)
        .scalar_subquery()
    )
    query = (
        select(Team.id, Team.name, User.id, User.name, User.email, scored)
        .select_from(Assignment)
        .join(Team, Team.id == Assignment.team_id)
        .join(User, User.id == Assignment.judge_id)
        .where(Assignment.event_id == event.id)
        .order_by(Team.name, User.id)
    )
    if judge_id is not None:
        query = query.where(Assignment.judge_id == judge_id)
    return [
        {
            "team_id": team_id,
            "team": team,
            "judge_id": judge,
            "judge": name or email,
            "scored": count,
            "criteria": needed,
            "done": needed > 0 and count == needed,
        }
        for team_id, team, judge, name, email, count in session.execute(query)
    ]

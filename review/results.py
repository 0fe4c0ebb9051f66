"""The results of review: the final ranking (with the numbers behind it), its publication,
and the statistics judges read (SPEC §5). Reads rows; the arithmetic is in ``review``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from core.db import iso
from core.models import Assignment, Event, RubricScore, Submission, Team, User
from core.offload import heavy
from judge.metrics import get_metric
from judge.truth import Solution, SolutionCache, rating_range_of
from review import scoring
from review.reviews import ReviewError, criteria_of, private_rows, teams_in_review
from scoreboard.queries import board_rows

# Truths read for the statistics, kept between requests (keyed by file hash), and the rank
# intervals of the boards last asked for.
solutions = SolutionCache(size=4)
_intervals: dict[tuple, dict[int, tuple[int, int]]] = {}


# Why a team in review is left out of the final ranking (``left_out``; the web words it).
NO_PROJECT = "no_project"


def left_out(session: Session, event: Event, teams: list[Team]) -> list[Team]:
    """Those of ``teams`` the final ranking leaves out: with ``event.require_project``, every
    team with no project as of the project deadline."""
    if not event.require_project:
        return []
    # Imported here: review.projects imports review.notes, which imports this module.
    from review.projects import teams_without_project

    missing = {t.id for t in teams_without_project(session, event)}
    return [t for t in teams if t.id in missing]


def final_standing(session: Session, event: Event) -> dict[str, Any]:
    """The final ranking as it would be published, with the numbers behind every row."""
    teams = teams_in_review(session, event)
    # Left out before anything is counted: the percentiles and every judge's normalisation are
    # of the ranked teams only, as if the others had not been in review.
    out = left_out(session, event, teams)
    teams = [t for t in teams if t not in out]
    ids = [t.id for t in teams]
    names = {t.id: t.name for t in teams}
    criteria = criteria_of(session, event)
    pure = [scoring.Criterion(c.id, c.name, c.weight, c.scale) for c in criteria]
    raw: dict[tuple[int, int], dict[int, float]] = {}
    for s in session.scalars(select(RubricScore).where(RubricScore.team_id.in_(ids))):
        raw.setdefault((s.judge_id, s.team_id), {})[s.criterion_id] = s.score
    pairs = {
        (a.judge_id, a.team_id)
        for a in session.scalars(select(Assignment).where(Assignment.event_id == event.id))
    }
    totals = {
        pair: scoring.weighted_total(values, pure)
        for pair, values in raw.items()
        if pair in pairs and pure and all(c.id in values for c in pure)
    }
    z, judges = scoring.normalise(totals)
    review = scoring.review_scores(z)
    complete: dict[int, int] = {}
    for _judge, team_id in totals:
        complete[team_id] = complete.get(team_id, 0) + 1
    short = [names[t] for t in ids if complete.get(t, 0) < event.judges_per_team]
    boards = private_rows(session, event)
    task_pct: dict[int, dict[str, float]] = {t: {} for t in ids}
    best_at: dict[int, datetime | None] = {}
    for slug, board in boards.items():
        for team_id, pct in scoring.board_percentiles([r.team_id for r in board], ids).items():
            task_pct[team_id][slug] = pct
        for r in board:  # ties: the earlier best submission, over the event's tasks
            if r.team_id in task_pct and r.best_at is not None:
                seen = best_at.get(r.team_id)
                best_at[r.team_id] = r.best_at if seen is None else min(seen, r.best_at)
    rows = scoring.final_ranking(ids, task_pct, review, best_at, event.w_auto, event.w_review)
    return {
        "event": event.slug,
        "weights": {"auto": event.w_auto, "review": event.w_review},
        "locked": event.review_locked_at is not None,
        "short_of_judges": short,
        "left_out": [{"team_id": t.id, "team": t.name, "reason": NO_PROJECT} for t in out],
        "judges": [
            {
                "judge_id": j.judge_id,
                "count": j.count,
                "mean": j.mean,
                "std": j.std,
                "flags": list(j.flags),
            }
            for j in judges.values()
        ],
        "rows": [
            {
                "rank": r.rank,
                "team": names[r.team_id],
                "final": r.final,
                "auto": r.auto,
                "review": r.review,
                "auto_rank": r.auto_rank,
                "review_score": r.review_score,
                "tasks": r.task_percentiles,
                "judges": {
                    str(j): {"total": totals[(j, r.team_id)], "z": z[(j, r.team_id)]}
                    for j, t in totals
                    if t == r.team_id
                },
            }
            for r in rows
        ],
    }


def final_board(event: Event, standing: dict[str, Any]) -> dict[str, Any]:
    """The published final ranking as a ``leaderboard`` payload: no per-judge numbers."""
    return {
        "event": event.slug,
        "task": None,
        "board": "final",
        "version": 1,
        "frozen": False,
        "decimals": 4,
        "higher_is_better": True,
        "published_at": iso(event.final_published_at),
        "rows": [
            {
                "rank": r["rank"],
                "team": r["team"],
                "score": r["final"],
                "auto": r["auto"],
                "review": r["review"],
            }
            for r in standing["rows"]
        ],
        # Teams out by the event's rule (no project), named so the board can say why.
        "left_out": [{"team": t["team"], "reason": t["reason"]} for t in standing["left_out"]],
    }


def projects_settled(event: Event, now: datetime) -> None:
    """Refuse while the final ranking can still change by a project: with
    ``event.require_project``, until the project deadline (a team may still add the project
    that keeps it in)."""
    if event.require_project and now < event.project_deadline:
        raise ReviewError(
            "The final ranking requires a project: publish after the project deadline "
            "(%(deadline)s).",
            deadline=_local(event.project_deadline, event.timezone),
        )


def publish(session: Session, event: Event, actor: User, now: datetime) -> dict[str, Any]:
    """Publish the final ranking; refused before the end and every task's reveal (it would
    give the private order away), before the lock, or while a team lacks judges."""
    if now < event.end_at:
        raise ReviewError("The final ranking is published after the event's end.")
    hidden = [t.slug for t in event.tasks if t.revealed_at is None]
    if hidden:
        raise ReviewError(
            "Reveal the private board first (not yet revealed: %(tasks)s).",
            tasks=", ".join(hidden),
        )
    if event.review_locked_at is None:
        raise ReviewError("Lock review before publishing the final ranking.")
    projects_settled(event, now)
    standing = final_standing(session, event)
    if standing["short_of_judges"]:
        raise ReviewError(
            "%(count)d team(s) have fewer than %(per_team)d complete reviews: %(teams)s.",
            count=len(standing["short_of_judges"]),
            per_team=event.judges_per_team,
            teams=", ".join(standing["short_of_judges"][:5]),
        )
    previous = json.loads(event.final_board) if event.final_board else None
    event.final_published_at = now
    board = final_board(event, standing)
    board["version"] = (previous or {}).get("version", 0) + 1
    event.final_board = json.dumps(board, ensure_ascii=False)
    audit(
        session,
        event,
        actor,
        "final.publish",
        event.slug,
        previous["rows"] if previous else None,
        board["rows"],
    )
    return board


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def published(event: Event) -> dict[str, Any] | None:
    """The final ranking as last published, or None."""
    return json.loads(event.final_board) if event.final_board else None


def _rank_intervals(
    load_solution: Callable[[], Solution], files: dict[int, tuple[Path, str]]
) -> dict[int, tuple[int, int]]:
    """Bootstrap rank intervals of the private part from each team's picked file."""
    from judge.scoring import read_predictions
    from review.statistics import rank_intervals

    solution = load_solution()
    rows = ~solution.public  # the private part: what the final ranking stands on
    if not rows.any():
        return {}
    predictions = {
        team_id: read_predictions(solution, path.read_bytes(), filename)[rows]
        for team_id, (path, filename) in files.items()
    }
    return rank_intervals(
        solution.metric,
        solution.y_true[rows],
        predictions,
        len(solution.classes),
        seed=solution.seed,
    )


def task_statistics(session: Session, event: Event, task: Any, storage_dir: Any) -> dict[str, Any]:
    """Shake-up and bootstrap rank intervals of one task's private board, for staff."""
    from review.statistics import shake_up

    higher = get_metric(task.metric).higher_is_better
    common = {"before": None, "staff": False, "higher_is_better": higher, "ended": True}
    public, _ = board_rows(session, task, private=False, **common)
    private, _ = board_rows(session, task, private=True, **common)
    # Reading every team's file is the cost: recomputed only when the board's picks change.
    key = (task.id, task.truth_sha256, tuple((r.team_id, r.submission_id) for r in private))
    intervals = _intervals.get(key)
    if intervals is None:
        files = {}
        for row in private:
            sub = session.get(Submission, row.submission_id)
            files[row.team_id] = (Path(storage_dir) / sub.scored_path, sub.scored_filename)
        # Parsing the truth and the files and the bootstrap run off the event loop, on plain
        # values (a pool thread reads no ORM row); the reads above run on it.
        truth = (Path(task.truth_path), task.truth_sha256, task.id_column, task.target_column)
        load = partial(solutions.get, *truth, task.metric, rating_range_of(task))
        intervals = heavy.run(_rank_intervals, load, files)
        if len(_intervals) > 32:
            _intervals.clear()
        _intervals[key] = intervals
    public_rank = {r.team_id: r.rank for r in public}
    return {
        "task": task.slug,
        "title": task.title or task.slug,
        "decimals": task.decimals,
        "metric": task.metric,
        "shake_up": shake_up([r.team for r in public], [r.team for r in private]),
        "rank_intervals": [
            {
                "rank": r.rank,
                "team": r.team,
                "team_id": r.team_id,
                "public_rank": public_rank.get(r.team_id),
                "score": r.score,
                "interval": list(intervals.get(r.team_id, (r.rank, r.rank))),
            }
            for r in private
        ],
    }

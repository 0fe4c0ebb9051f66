"""Pages of the review: the judge's workspace, a team's file for judges, the organizer's
review console and the statistics page (SPEC §5, §7)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.api.projects import project_json
from app.lookup import event_or_404, session
from app.messages import judged_parts, verdict_labels
from app.runtime import runtime
from app.security import user_with_role
from app.web.projects import with_video_frames
from core.models import Role, Submission, Team
from review import notes, results, reviews, verifications
from submissions.preview import first_lines

bp = Blueprint("review_pages", __name__)


def judged_targets(project: dict, checks: list) -> dict[str, str]:
    """Where on the team's page each judged part is (``review.reviews.JUDGED_PARTS``): its
    own block when the team has it, else the project, where its absence shows."""
    kinds = {f["kind"] for f in project.get("files", [])}
    code = "#code-verification" if checks else "#project-repo" if project.get("repo_url") else ""
    return {
        "scores": "#team-scores",
        "project": "#team-project",
        "code": code or "#team-project",
        "demo": "#project-video" if project.get("video_url") else "#team-project",
        "slides": "#project-slides" if "slides" in kinds else "#team-project",
    }


def _staff() -> None:
    user_with_role(Role.ORGANIZER, Role.JUDGE, refusal=_("Judges and organizers only."))


@bp.get("/events/<event_slug>/review")
@login_required
def workspace(event_slug: str) -> str:
    """Judges: assigned teams and progress. Organizers: the review console."""
    _staff()
    event = event_or_404(event_slug)
    organizer = current_user.role == Role.ORGANIZER
    context = {
        "event": event,
        "criteria": reviews.criteria_of(session(), event),
        "parts": judged_parts(),
        "progress": reviews.progress(session(), event, None if organizer else current_user.id),
        "organizer": organizer,
    }
    if organizer:
        context["standing"] = results.final_standing(session(), event)
        context["judges"] = {u.id: u for u in reviews.judges_of(session())}
        context["flags"] = notes.flags(session(), event)
    return render_template("review.html", **context)


@bp.get("/events/<event_slug>/review/teams/<int:team_id>")
@login_required
def team_file(event_slug: str, team_id: int) -> Response:
    """A team as its judges see it: files, logs, scores, and the rubric form."""
    _staff()
    event = event_or_404(event_slug)
    team = session().get(Team, team_id)
    if team is None or team.event_id != event.id:
        abort(404)
    judging = current_user.role == Role.JUDGE
    if judging and not reviews.assigned(session(), current_user, team):
        abort(403, description=_("You are not assigned to this team."))
    if not notes.may_see_team(session(), current_user, team):
        abort(403, description=_("You have a conflict of interest with this team."))
    storage = Path(runtime().settings.storage_dir)
    tasks = {t.id: t for t in event.tasks}
    subs = session().scalars(
        select(Submission).where(Submission.team_id == team.id).order_by(Submission.id.desc())
    )
    # A code task's upload is the program; its output is what was scored and what to show.
    files = [
        {"sub": s, "task": tasks[s.task_id], "head": first_lines(storage / s.scored_path)}
        for s in subs
    ]
    mine = reviews.my_scores(session(), current_user, team) if judging else {}
    # The team's standing on each task: private rank, public → private move, rank interval.
    standing = []
    for task in event.tasks:
        stats = results.task_statistics(session(), event, task, storage)
        row = next((r for r in stats["rank_intervals"] if r["team_id"] == team.id), None)
        standing.append({"task": task, "row": row, "teams": len(stats["rank_intervals"])})
    project = project_json(event, team, staff=True)  # as of the project deadline
    checks = verifications.listing(session(), event, team.id)
    page = render_template(
        "review_team.html",
        project=project,
        event=event,
        team=team,
        files=files,
        judging=judging,
        criteria=reviews.criteria_of(session(), event),
        mine=mine,
        standing=standing,
        notes=notes.comments(session(), event, current_user, team),
        checks=checks,
        verdict_labels=verdict_labels(),
        organizer=current_user.role == Role.ORGANIZER,
        parts=judged_parts(),
        targets=judged_targets(project, checks),
    )
    return with_video_frames(page, project)


@bp.get("/events/<event_slug>/statistics")
@login_required
def statistics(event_slug: str) -> str:
    """Shake-up and rank intervals per task: which leads are real."""
    _staff()
    event = event_or_404(event_slug)
    storage = runtime().settings.storage_dir
    stats = notes.statistics_for(session(), current_user, event, storage)
    return render_template("statistics.html", event=event, stats=stats)

"""Server-rendered pages: events, the live public board, the team page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.lookup import event_or_404, session
from app.messages import verdict_labels
from app.security import user_with_role
from app.serialize import submission_json
from app.web.auth import safe_next
from core.db import iso, utcnow
from core.models import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_FINAL_PICKS,
    DEFAULT_MEMORY_MB,
    DEFAULT_PUBLIC_FRACTION,
    DEFAULT_TIME_LIMIT_S,
    RUN_BUSY,
    Event,
    RescoreRun,
    Role,
    Submission,
    Team,
    TeamMember,
)
from judge.metrics import available as available_metrics
from judge.metrics import get_metric
from organize.events import SLUG_PATTERN
from review import awards, projects
from review.results import published
from scoreboard import reveal
from scoreboard.boards import Board, current_board
from scoreboard.ceremony import recent_announcements
from submissions.intake import team_of
from submissions.usage import used_today

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    """Every event, newest first."""
    events = session().scalars(select(Event).order_by(Event.start_at.desc())).all()
    return render_template("index.html", events=events)


@bp.get("/events/<event_slug>")
def board(event_slug: str) -> str:
    """The live public board of every task in the event."""
    event = event_or_404(event_slug)
    boards = [current_board(session(), event, task, Board.PUBLIC) for task in event.tasks]
    mine = None  # the signed-in participant's team: its row is highlighted and kept in view
    if current_user.is_authenticated and current_user.role == Role.PARTICIPANT:
        team = team_of(session(), current_user, event)
        mine = team.name if team is not None else None
    return render_template("board.html", event=event, boards=boards, my_team=mine)


@bp.get("/events/<event_slug>/projector")
def projector(event_slug: str) -> str:
    """The hall's screen: top teams, countdowns, chart, ticker; the reveal for organizers."""
    event = event_or_404(event_slug)
    tasks = []
    for task in event.tasks:
        board = Board.PUBLIC if task.revealed_at is None else Board.PRIVATE
        tasks.append(
            {
                "slug": task.slug,
                "title": task.title or task.slug,
                "metric": task.metric,
                "board": current_board(session(), event, task, board),
                "reveal": reveal.state(session(), event, task),
            }
        )
    setup = {
        "event": event.slug,
        "title": event.title,
        "timezone": event.timezone,
        "freeze_at": iso(event.freeze_at),
        "end_at": iso(event.end_at),
        "tasks": tasks,
        "announcements": recent_announcements(session(), event, limit=5),
        "can_reveal": current_user.is_authenticated and current_user.role == Role.ORGANIZER,
        "final": final_with_awards(event),
        "top": max(3, min(request.args.get("top", 10, type=int) or 10, 30)),
        "rotate_seconds": max(0, request.args.get("rotate", 20, type=int) or 0),
    }
    return render_template("projector.html", event=event, setup=setup)


def final_with_awards(event: Event) -> dict[str, Any] | None:
    """The published final ranking with each team's awards (the closing screen's)."""
    from review.awards import with_awards

    board = published(event)
    return with_awards(session(), event, board) if board is not None else None


@bp.get("/events/<event_slug>/team")
@login_required
def team(event_slug: str) -> str | Response:
    """The team page: upload, and the submission history with live status."""
    event = event_or_404(event_slug)
    if current_user.role != Role.PARTICIPANT:
        return redirect(url_for("pages.board", event_slug=event.slug))
    my_team = team_of(session(), current_user, event)
    if my_team is None:
        return redirect(url_for("pages.join", event_slug=event.slug))
    tasks = {t.id: t for t in event.tasks}
    subs = (
        session()
        .scalars(
            select(Submission)
            .where(Submission.team_id == my_team.id)
            .order_by(Submission.created_at.desc(), Submission.id.desc())
        )
        .all()
    )
    history = [submission_json(s, tasks[s.task_id], my_team, staff=False) for s in subs]
    now = utcnow()
    quotas = {
        t.slug: {
            "daily_limit": t.daily_limit,
            "left": None
            if t.daily_limit is None
            else max(0, t.daily_limit - used_today(session(), event, t, my_team, now)),
            "final_picks": t.final_picks,
            "decimals": t.decimals,
            "title": t.title or t.slug,
            "code": t.is_code,
        }
        for t in event.tasks
    }
    members = [m.user.name or m.user.email for m in my_team.members]
    project = projects.shown(session(), event, my_team, staff=False)
    return render_template(
        "team.html",
        project_missing=projects.missing(project),
        event=event,
        team=my_team,
        history=history,
        quotas=quotas,
        members=members,
        end_at=iso(event.end_at),
        closed=now >= event.end_at,
        code_deadline=iso(event.code_deadline),
    )


@bp.route("/events/<event_slug>/join", methods=["GET", "POST"])
@login_required
def join(event_slug: str) -> str | Response:
    """A participant joins a team of the event with the team's invite code."""
    event = event_or_404(event_slug)
    if current_user.role != Role.PARTICIPANT:
        abort(403, description=_("Only participants join teams."))
    if team_of(session(), current_user, event) is not None:
        return redirect(url_for("pages.team", event_slug=event.slug))
    error = ""
    if request.method == "POST":
        code = request.form.get("code", "").strip()
        found = (
            session()
            .scalars(select(Team).where(Team.event_id == event.id, Team.invite_code == code))
            .first()
        )
        if found is None or not code:
            error = _("No team of this event has that invite code.")
        else:
            session().add(TeamMember(event_id=event.id, team_id=found.id, user_id=current_user.id))
            session().commit()
            return redirect(url_for("pages.team", event_slug=event.slug))
    return render_template("join.html", event=event, error=error), 400 if error else 200


@bp.get("/events/<event_slug>/rules")
def rules(event_slug: str) -> str:
    """The event's rules (SPEC §3) with its own numbers: deadlines, metrics, limits."""
    event = event_or_404(event_slug)
    metrics = {t.id: get_metric(t.metric) for t in event.tasks}
    return render_template("rules.html", event=event, metrics=metrics)


@bp.get("/events/new")
@login_required
def new_event() -> str:
    """Organizers: create an event."""
    user_with_role(Role.ORGANIZER, refusal=_("Organizers only."))
    return render_template("event_new.html", slug_pattern=SLUG_PATTERN)


@bp.get("/events/<event_slug>/organize")
@login_required
def organize(event_slug: str) -> str:
    """Organizers: the event's tasks, with rescoring and its live progress."""
    user_with_role(Role.ORGANIZER, refusal=_("Organizers only."))
    event = event_or_404(event_slug)
    counts = dict(
        session()
        .execute(
            select(Submission.task_id, func.count(Submission.id))
            .where(Submission.task_id.in_([t.id for t in event.tasks]))
            .group_by(Submission.task_id)
        )
        .all()
    )
    runs = {
        run.task_id: run
        for run in session().scalars(
            select(RescoreRun)
            .where(RescoreRun.task_id.in_([t.id for t in event.tasks]))
            .order_by(RescoreRun.id)
        )
    }
    teams = (
        session().scalars(select(Team).where(Team.event_id == event.id).order_by(Team.name)).all()
    )
    local = {
        name: moment.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%dT%H:%M")
        if moment
        else ""
        for name, moment in (
            ("start", event.start_at),
            ("end", event.end_at),
            ("freeze", event.freeze_scheduled_at),
        )
    }
    return render_template(
        "organize.html",
        event=event,
        counts=counts,
        runs=runs,
        teams=teams,
        local=local,
        metrics=available_metrics(),
        frozen=event.is_frozen(utcnow()),
        slug_pattern=SLUG_PATTERN,
        run_busy=RUN_BUSY,
        verdict_labels=verdict_labels(),
        without_project=projects.teams_without_project(session(), event),
        awards=awards.as_json(session(), event),
        task_defaults={
            "public_fraction": DEFAULT_PUBLIC_FRACTION,
            "daily_limit": DEFAULT_DAILY_LIMIT,
            "final_picks": DEFAULT_FINAL_PICKS,
            "time_limit": DEFAULT_TIME_LIMIT_S,
            "memory": f"{DEFAULT_MEMORY_MB // 1024}G",
        },
    )


def _same_site_path(referrer: str | None) -> str | None:
    """The path (and query) of ``referrer`` if it is a page of this site, else None: the
    language switch returns there, never to another site (a forged Referer or link)."""
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, "") or None


@bp.get("/lang/<code>")
def language(code: str) -> Response:
    """Switch the interface language (ko or en)."""
    response = redirect(_same_site_path(request.referrer) or url_for("pages.index"))
    if code in ("ko", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon where browsers look for it first (pages also link the SVG one)."""
    return current_app.send_static_file("favicon.ico")

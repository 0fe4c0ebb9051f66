"""Server-rendered pages: events, the live public board, the team page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.lookup import event_or_404, session
from app.models import Event, RescoreRun, Role, Submission
from app.serialize import submission_json
from scoreboard.boards import Board, current_board
from submissions.intake import team_of

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
    return render_template("board.html", event=event, boards=boards)


@bp.get("/events/<event_slug>/team")
@login_required
def team(event_slug: str) -> str | Response:
    """The team page: upload, and the submission history with live status."""
    event = event_or_404(event_slug)
    if current_user.role != Role.PARTICIPANT:
        return redirect(url_for("pages.board", event_slug=event.slug))
    my_team = team_of(session(), current_user, event)
    if my_team is None:
        abort(403, description=_("You are not in a team of this event."))
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
    return render_template("team.html", event=event, team=my_team, history=history)


@bp.get("/events/<event_slug>/organize")
@login_required
def organize(event_slug: str) -> str:
    """Organizers: the event's tasks, with rescoring and its live progress."""
    if current_user.role != Role.ORGANIZER:
        abort(403, description=_("Organizers only."))
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
    return render_template("organize.html", event=event, counts=counts, runs=runs)


@bp.get("/lang/<code>")
def language(code: str) -> Response:
    """Switch the interface language (ko or en)."""
    target = request.referrer or url_for("pages.index")
    response = redirect(target)
    if code in ("ko", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response

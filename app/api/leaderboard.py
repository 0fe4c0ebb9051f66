"""The boards and the sample submission (SPEC §4)."""

from __future__ import annotations

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _

from app.api import bp, download, error, user_or_401
from app.lookup import event_or_404, session, task_from_args, task_or_404
from app.openapi import OPENAPI
from core.offload import heavy
from judge.truth import SolutionCache, sample_submission
from review import notes
from scoreboard.boards import Board, current_board, staff_only

_samples = SolutionCache(size=4)


@bp.get("/events/<event_slug>/leaderboard")
def leaderboard(event_slug: str) -> Response:
    """A task's board: public for all; staff, and private until its reveal, for staff."""
    event = event_or_404(event_slug)
    if not event.tasks:
        abort(404, description=_("This event has no tasks yet."))
    if request.args.get("board") == "final":
        from app.api.review import published_final

        return published_final(event)
    task = task_from_args(event)
    try:
        board = Board(request.args.get("board", "public"))
    except ValueError:
        return error(400, "bad_board", _("board must be public, staff, private or final."))
    unseen: dict[int, str] = {}
    if staff_only(task, board):
        user = user_or_401()
        if not user.is_staff:
            abort(403, description=_("This board is for staff only until the reveal."))
        unseen = notes.conflicted_teams(session(), user, event)  # a judge's conflicts
    data = current_board(session(), event, task, board)
    if unseen:
        data = {**data, "rows": notes.without_teams(data["rows"], unseen)}
    return jsonify(data)


@bp.get("/events/<event_slug>/tasks/<task_slug>/sample-submission")
def sample(event_slug: str, task_slug: str) -> Response:
    """A sample submission with every id and a placeholder prediction."""
    event = event_or_404(event_slug)
    task = task_or_404(event, task_slug)
    solution = _samples.of(task)
    body = heavy.run(sample_submission, solution)  # every id: CPU work, off the event loop
    return download(body.encode(), f"{event.slug}-{task.slug}-sample_submission.csv", "text/csv")


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of this API."""
    return jsonify(OPENAPI)

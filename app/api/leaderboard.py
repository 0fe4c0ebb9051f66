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
# Sample submissions as served, by truth: anyone may download one, as often as they like.
SAMPLE_FILES_KEPT = 8
_sample_files: dict[tuple[str, ...], bytes] = {}


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
    key = (task.truth_sha256, task.id_column, task.target_column, task.metric)
    body = _sample_files.get(key)
    if body is None:
        # Every id of the truth: CPU work, off the event loop, once per truth.
        body = heavy.run(sample_submission, _samples.of(task)).encode()
        if len(_sample_files) >= SAMPLE_FILES_KEPT:
            _sample_files.pop(next(iter(_sample_files)))
        _sample_files[key] = body
    return download(body, f"{event.slug}-{task.slug}-sample_submission.csv", "text/csv")


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of this API."""
    return jsonify(OPENAPI)

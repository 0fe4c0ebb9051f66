"""Review endpoints (SPEC §5): criteria, assignment, rubric scores, the lock, the final ranking.

Organizers run the review; judges score only the teams assigned to them and see no other
judge's scores before the lock; participants reach none of it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.api import bp, download, error, user_or_401
from app.api.validate import json_body
from app.lookup import event_or_404, session
from app.runtime import runtime
from app.security import user_with_role
from core import audit
from core.db import utcnow
from core.models import Event, Role, Team
from core.offload import heavy
from review import notes, results, reviews


def _team(event: Event, team_id: int) -> Team:
    team = session().get(Team, team_id)
    if team is None or team.event_id != event.id:
        abort(404, description=_("No team %(id)s in this event.", id=team_id))
    return team


def _refused(exc: reviews.ReviewError) -> tuple[Response, int] | Response:
    session().rollback()
    return error(exc.status, "review_refused", str(exc))


def _criterion_json(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "weight": c.weight,
        "scale": c.scale,
        "description": c.description,
        "judges": c.judges,
    }


@bp.get("/events/<event_slug>/criteria")
def criteria(event_slug: str) -> Response:
    """Staff: the rubric."""
    user_with_role(Role.ORGANIZER, Role.JUDGE)
    event = event_or_404(event_slug)
    return jsonify(
        {"criteria": [_criterion_json(c) for c in reviews.criteria_of(session(), event)]}
    )


@bp.post("/events/<event_slug>/criteria")
def add_criterion(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: add a criterion (name, weight, scale, description, the part it judges)."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    body = json_body()
    try:
        item = reviews.add_criterion(
            session(),
            event,
            user,
            str(body.get("name", "")),
            float(body.get("weight", 0)),
            float(body.get("scale", 10)),
            str(body.get("description", "")),
            str(body.get("judges", "")),
        )
    except reviews.ReviewError as exc:
        return _refused(exc)
    except (TypeError, ValueError):
        return error(400, "bad_request", _("weight and scale must be numbers."))
    session().commit()
    return jsonify(_criterion_json(item)), 201


@bp.post("/events/<event_slug>/assignments")
def assign(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: assign judges to every team in review (or the top N), balanced, no COI."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    body = json_body()
    per_team = body.get("per_team", event.judges_per_team)
    top = body.get("top")
    if not isinstance(per_team, int) or (top is not None and not isinstance(top, int)):
        return error(400, "bad_request", _("per_team and top must be whole numbers."))
    try:
        result = reviews.assign_judges(session(), event, user, per_team, top)
    except reviews.ReviewError as exc:
        return _refused(exc)
    session().commit()
    return jsonify({"assignments": {str(k): v for k, v in result.items()}})


@bp.get("/events/<event_slug>/assignments")
def assignments(event_slug: str) -> Response:
    """Judges: their teams and progress; organizers: everyone's."""
    user = user_with_role(Role.ORGANIZER, Role.JUDGE)
    event = event_or_404(event_slug)
    mine = user.id if user.role == Role.JUDGE else None
    rows = reviews.progress(session(), event, mine)
    return jsonify({"locked": event.review_locked_at is not None, "assignments": rows})


@bp.route("/events/<event_slug>/teams/<int:team_id>/scores", methods=["GET", "PUT"])
def scores(event_slug: str, team_id: int) -> Response | tuple[Response, int]:
    """Judges: read or set their own rubric scores of an assigned team."""
    user = user_with_role(Role.JUDGE)
    event = event_or_404(event_slug)
    team = _team(event, team_id)
    if request.method == "GET":
        if not reviews.assigned(session(), user, team):
            abort(403, description=_("You are not assigned to this team."))
        mine = reviews.my_scores(session(), user, team)
        return jsonify({"scores": {str(k): v for k, v in mine.items()}})
    body = json_body()
    try:
        values = {int(k): float(v) for k, v in dict(body.get("scores", {})).items()}
    except (TypeError, ValueError):
        return error(400, "bad_request", _("scores must map criterion ids to numbers."))
    try:
        mine = reviews.set_scores(session(), event, user, team, values, utcnow())
        session().commit()
    except reviews.ReviewError as exc:
        return _refused(exc)
    except IntegrityError:  # the same score saved twice at once (a double click)
        return _refused(reviews.ReviewError("Saved twice at once; save again.", 409))
    return jsonify({"scores": {str(k): v for k, v in mine.items()}})


@bp.post("/events/<event_slug>/review/lock")
def lock(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: lock review; scores stop changing and the final ranking can be published."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    try:
        reviews.lock(session(), event, user, utcnow())
    except reviews.ReviewError as exc:
        return _refused(exc)
    session().commit()
    return jsonify({"locked": True})


@bp.get("/events/<event_slug>/final")
def final(event_slug: str) -> Response:
    """Organizers (and judges once review is locked): the final ranking and why."""
    user = user_with_role(Role.ORGANIZER, Role.JUDGE)
    event = event_or_404(event_slug)
    if user.role == Role.JUDGE and event.review_locked_at is None:
        abort(403, description=_("Judges see the other judges' scores after the lock."))
    standing = results.final_standing(session(), event)
    unseen = notes.conflicted_teams(session(), user, event)
    return jsonify(
        {
            **standing,
            "rows": notes.without_teams(standing["rows"], unseen),
            "left_out": notes.without_teams(standing["left_out"], unseen),
        }
    )


@bp.post("/events/<event_slug>/final/publish")
def publish(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: publish the final ranking; pushed live as the ``final`` board."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    try:
        board = results.publish(session(), event, user, utcnow())
    except reviews.ReviewError as exc:
        return _refused(exc)
    session().commit()
    from review.awards import with_awards

    board = with_awards(session(), event, board)  # awards given before publication show at once
    runtime().publisher.final(event.slug, board)
    return jsonify(board)


def published_final(event: Event) -> Response:
    """``GET …/leaderboard?board=final``: everyone once published, organizers before."""
    board = results.published(event)
    if board is None:
        user = user_or_401()
        if user.role != Role.ORGANIZER:
            abort(403, description=_("The final ranking is not published yet."))
        board = results.final_board(event, results.final_standing(session(), event))
        board["version"] = 0  # a preview, not published
    from review.awards import with_awards

    return jsonify(with_awards(session(), event, board))


@bp.route("/events/<event_slug>/teams/<int:team_id>/disqualify", methods=["POST", "DELETE"])
def disqualify(event_slug: str, team_id: int) -> Response | tuple[Response, int]:
    """Organizers: disqualify a team with a reason (DELETE reinstates); boards recompute."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    team = _team(event, team_id)
    try:
        if request.method == "POST":
            body = json_body()
            reviews.disqualify(session(), event, user, team, str(body.get("reason", "")))
        else:
            reviews.reinstate(session(), event, user, team)
    except reviews.ReviewError as exc:
        return _refused(exc)
    session().commit()
    for task in event.tasks:  # pushed at once to every board of the event
        runtime().publisher.task_changed(task.id)
    return jsonify(
        {"team": team.name, "disqualified": team.disqualified, "reason": team.disqualified_reason}
    )


@bp.get("/events/<event_slug>/audit")
def audit_log(event_slug: str) -> Response:
    """Organizers: everything organizers changed, newest first, with before → after."""
    user_with_role(Role.ORGANIZER)
    return jsonify({"entries": audit.audit_log(session(), event_or_404(event_slug))})


@bp.get("/events/<event_slug>/export.<fmt>")
def export(event_slug: str, fmt: str) -> Response:
    """Organizers: XLSX with every sheet, or CSV of the final ranking."""
    from review import exports

    user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    tables = exports.sheets(session(), event)
    # The workbook is written off the event loop (openpyxl is pure Python: seconds for a big
    # event); the tables were read on it.
    if fmt == "xlsx":
        body = heavy.run(exports.to_xlsx, tables)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        body, mimetype = heavy.run(exports.to_csv, tables["final"]), "text/csv"
    else:
        abort(404, description=_("Export as .xlsx or .csv."))
    return download(body, f"{event.slug}-results.{fmt}", mimetype)


@bp.get("/events/<event_slug>/statistics")
def statistics(event_slug: str) -> Response:
    """Judges and organizers: per task, the public→private shake-up and rank intervals."""
    user = user_with_role(Role.ORGANIZER, Role.JUDGE)
    event = event_or_404(event_slug)
    storage = runtime().settings.storage_dir
    tasks = notes.statistics_for(session(), user, event, storage)
    return jsonify({"event": event.slug, "tasks": tasks})


@bp.put("/events/<event_slug>/review/weights")
def weights(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: ``{"w_auto", "w_review"}`` of the final blend."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    body = json_body()
    try:
        reviews.set_weights(
            session(), event, user, float(body.get("w_auto")), float(body.get("w_review"))
        )
    except reviews.ReviewError as exc:
        return _refused(exc)
    except (TypeError, ValueError):
        return error(400, "bad_request", _("w_auto and w_review must be numbers."))
    session().commit()
    return jsonify({"w_auto": event.w_auto, "w_review": event.w_review})


# Issue 17: a team's project, beside its review; the awards, the gallery and the certificates,
# after the final ranking.
from app.api import awards, certificates, gallery, projects  # noqa: E402,F401

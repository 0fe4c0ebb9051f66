"""Organizer endpoints for setting an event up without a shell (issue 6, SPEC §7-§9):
events, tasks with a ground-truth preview, freeze/unfreeze, team import, hide and ban."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.api import bp, download, error
from app.api.review import _team
from app.api.validate import json_body
from app.lookup import event_or_404, session
from app.runtime import runtime
from app.security import user_with_role
from core.audit import audit
from core.cells import csv_text
from core.db import utcnow
from core.errors import ParticipantVisibleError
from core.models import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_DECIMALS,
    DEFAULT_FINAL_PICKS,
    DEFAULT_MEMORY_MB,
    DEFAULT_PUBLIC_FRACTION,
    DEFAULT_TIME_LIMIT_S,
    Role,
)
from judge.metrics import available, get_metric
from judge.prepare import RatingRange, parse_rating_range, prepare_truth
from judge.reader import read_table
from judge.truth import load_solution, sample_submission
from organize import SetupError, events, tasks, teams
from organize.accounts import create_user
from organize.code_tasks import CodeSettings, parse_memory

PREVIEW_ROWS = 5


@bp.post("/events")
def create_event() -> Response | tuple[Response, int]:
    """Organizers: a new event (times without an offset are in its timezone)."""
    user = user_with_role(Role.ORGANIZER)
    body = json_body()
    try:
        event = events.create_event(
            session(),
            str(body.get("slug", "")).strip(),
            str(body.get("title", "")).strip(),
            str(body.get("start", "")),
            str(body.get("end", "")),
            body.get("freeze") or None,
            str(body.get("timezone") or "Asia/Seoul"),
        )
    except ValueError as exc:
        session().rollback()
        return error(400, "bad_event", str(exc))
    audit(session(), event, user, "event.create", event.slug, None, events.event_summary(event))
    session().commit()
    return jsonify(events.event_summary(event)), 201


@bp.patch("/events/<event_slug>")
def edit_event(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: change the title, the times (in the event's timezone), the prize zone, the
    deadlines of code and projects, or whether the final ranking requires a project."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    body = json_body()
    before = events.event_summary(event)
    try:
        if "title" in body:
            event.title = str(body["title"]).strip() or event.title
        for field, column in (("start", "start_at"), ("end", "end_at")):
            if field in body:
                value = body[field]
                setattr(event, column, events.parse_time(value, event.timezone) if value else None)
        if "freeze" in body:
            value = body["freeze"]
            moment = events.parse_time(value, event.timezone) if value else None
            events.schedule_freeze(event, moment, utcnow())
        if "prize_places" in body:
            event.prize_places = events.check_prize_places(body["prize_places"])
        if "code_deadline" in body:  # winners' code verification (issue 16); null: the default
            value = body["code_deadline"]
            event.code_deadline_at = events.parse_time(value, event.timezone) if value else None
        if "project_deadline" in body:  # teams' projects (issue 17); null: the event's end
            value = body["project_deadline"]
            event.project_deadline_at = events.parse_time(value, event.timezone) if value else None
        if "require_project" in body:  # the final ranking leaves out teams without one
            event.require_project = body["require_project"]
        if "verify_tolerance" in body:
            event.verify_tolerance = float(body["verify_tolerance"])
        events.check_times(event.start_at, event.end_at, event.freeze_scheduled_at)
    except ValueError as exc:
        session().rollback()
        return error(400, "bad_event", str(exc))
    audit(session(), event, user, "event.edit", event.slug, before, events.event_summary(event))
    session().commit()
    return jsonify(events.event_summary(event))


def _uploaded_truth(folder: Path) -> Path:
    upload = request.files.get("truth")
    if upload is None or not upload.filename:
        abort(400, description=_("Send the ground truth as multipart field 'truth'."))
    path = folder / Path(upload.filename).name
    upload.save(path)
    return path


def _code_settings(folder: Path, number: Callable[[str, type, Any], Any]) -> CodeSettings | None:
    """A code task's form fields (``kind=code``, files ``inputs`` and ``sample_inputs``)."""
    if request.form.get("kind", "predictions") != "code":
        return None
    files = {}
    for field in ("inputs", "sample_inputs"):
        upload = request.files.get(field)
        if upload is not None and upload.filename:
            (folder / field).mkdir()
            files[field] = folder / field / Path(upload.filename).name
            upload.save(files[field])
    if "inputs" not in files:
        raise SetupError("A code task needs its hidden inputs (multipart field 'inputs').")
    return CodeSettings(
        files["inputs"],
        files.get("sample_inputs"),
        number("time_limit", int, DEFAULT_TIME_LIMIT_S),
        parse_memory(request.form.get("memory") or f"{DEFAULT_MEMORY_MB}M"),
    )


def _rating_range(text: str | None) -> RatingRange | None:
    """The form's ``1..5``, or None when left empty."""
    return parse_rating_range(text) if text and text.strip() else None


@bp.post("/events/<event_slug>/tasks/preview")
def preview_task(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: what a ground truth would make: columns, first rows, classes, split."""
    user_with_role(Role.ORGANIZER)
    event_or_404(event_slug)
    form = request.form
    with tempfile.TemporaryDirectory() as work:
        path = _uploaded_truth(Path(work))
        try:
            frame = read_table(path.read_bytes(), path.name)
        except ParticipantVisibleError as exc:
            return error(422, "invalid_file", str(exc))
        columns = list(frame.columns)
        id_column = form.get("id_column") or columns[0]
        target = form.get("target") or next(
            (c for c in columns[1:] if c.lower() not in ("usage",)), columns[-1]
        )
        metric = form.get("metric") or "rmse"
        out: dict[str, Any] = {
            "columns": columns,
            "rows": len(frame),
            "id_column": id_column,
            "target": target,
            "first_rows": frame.head(PREVIEW_ROWS).to_dict(orient="records"),
        }
        try:
            get_metric(metric)
            prepared = prepare_truth(
                path,
                Path(work) / "prepared",
                id_column=id_column,
                target_column=target,
                metric=metric,
                public_fraction=float(form.get("public_fraction") or DEFAULT_PUBLIC_FRACTION),
                usage_column=form.get("usage_column") or None,
                rating_range=_rating_range(form.get("rating_range")),
            )
            solution = load_solution(
                prepared.path, id_column, target, metric, prepared.rating_range
            )
        except (KeyError, ValueError, ParticipantVisibleError) as exc:
            out["problem"] = str(exc)
            return jsonify(out), 422
        out.update(
            classes=list(solution.classes),
            rating_range=prepared.rating_range,
            public_rows=int(solution.public.sum()),
            private_rows=int((~solution.public).sum()),
            sample_submission=sample_submission(solution).splitlines()[: PREVIEW_ROWS + 1],
        )
    return jsonify(out)


@bp.post("/events/<event_slug>/tasks")
def create_task(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: a task from an uploaded ground truth (the split is fixed now)."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    form = request.form

    def number(name: str, kind: type, default: Any) -> Any:
        value = form.get(name, "")
        return kind(value) if value != "" else default

    with tempfile.TemporaryDirectory() as work:
        path = _uploaded_truth(Path(work))
        try:
            code = _code_settings(Path(work), number)
            task = tasks.create_task(
                session(),
                event,
                form.get("slug", "").strip(),
                metric=form.get("metric", ""),
                truth=path,
                storage_dir=runtime().settings.storage_dir,
                id_column=form.get("id_column") or "id",
                target=form.get("target") or "target",
                public_fraction=number("public_fraction", float, DEFAULT_PUBLIC_FRACTION),
                usage_column=form.get("usage_column") or None,
                daily_limit=number("daily_limit", int, DEFAULT_DAILY_LIMIT),
                total_limit=number("total_limit", int, None),
                final_picks=number("final_picks", int, DEFAULT_FINAL_PICKS),
                title=form.get("title", "").strip(),
                decimals=number("decimals", int, DEFAULT_DECIMALS),
                rating_range=_rating_range(form.get("rating_range")),
                code=code,
            )
        except (KeyError, ValueError, ParticipantVisibleError) as exc:
            session().rollback()
            return error(422, "bad_task", str(exc))
    audit(
        session(),
        event,
        user,
        "task.create",
        task.slug,
        None,
        tasks.task_summary(task),
    )
    session().commit()
    return jsonify(
        {
            "slug": task.slug,
            "metric": task.metric,
            "rows": task.truth_rows,
            "public_rows": task.public_rows,
            "kind": task.kind,
        }
    ), 201


@bp.get("/metrics")
def metrics() -> Response:
    """The metric names a task can use (built-in and installed)."""
    return jsonify({"metrics": available()})


@bp.post("/events/<event_slug>/<any(freeze, unfreeze):action>")
def freeze(event_slug: str, action: str) -> Response | tuple[Response, int]:
    """Organizers: freeze the public board now, or lift the freeze."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    before = events.event_summary(event)
    try:
        if action == "freeze":
            events.freeze_event(event, utcnow())
        else:
            events.unfreeze_event(event, utcnow())
    except ValueError as exc:
        return error(409, "closed", str(exc))
    after = events.event_summary(event)
    audit(session(), event, user, f"event.{action}", event.slug, before, after)
    session().commit()
    for task in event.tasks:
        runtime().publisher.task_changed(task.id)
    return jsonify(events.event_summary(event))


@bp.post("/events/<event_slug>/teams/import")
def import_teams(event_slug: str) -> Response | tuple[Response, int]:
    """Organizers: teams from CSV/XLSX (team, affiliation, name, email); credentials CSV back."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error(400, "no_file", _("Send the roster as multipart field 'file'."))
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / Path(upload.filename).name
        upload.save(path)
        try:
            roster = teams.read_team_file(path)
            credentials = list(teams.import_teams(session(), event, roster))
        except (ValueError, ParticipantVisibleError, IntegrityError) as exc:
            session().rollback()
            return error(422, "bad_roster", str(exc))
    audit(
        session(),
        event,
        user,
        "teams.import",
        event.slug,
        None,
        {"members": len(credentials), "teams": sorted({c.team for c in credentials})},
    )
    session().commit()
    body = csv_text(
        [
            ["team", "name", "email", "password", "invite_code"],
            *([c.team, c.name, c.email, c.password, c.invite_code] for c in credentials),
        ]
    )
    # UTF-8 with BOM: Korean Excel opens it with the names intact.
    return download(body.encode("utf-8-sig"), f"{event.slug}-credentials.csv", "text/csv")


@bp.post("/events/<event_slug>/teams/<int:team_id>/<any(hide, show):action>")
def hide(event_slug: str, team_id: int, action: str) -> Response:
    """Organizers: hide a team from the public boards (a test team, say), or show it again."""
    user = user_with_role(Role.ORGANIZER)
    event = event_or_404(event_slug)
    team = _team(event, team_id)
    before = team.hidden
    team.hidden = action == "hide"
    audit(session(), event, user, f"team.{action}", team.name, before, team.hidden)
    session().commit()
    for task in event.tasks:
        runtime().publisher.task_changed(task.id)
    return jsonify({"team": team.name, "hidden": team.hidden})


@bp.post("/users")
def create_staff() -> Response | tuple[Response, int]:
    """Organizers: add a judge or an organizer; the password is shown this once."""
    user = user_with_role(Role.ORGANIZER)
    body = json_body()
    role = str(body.get("role", ""))
    if role not in (Role.JUDGE, Role.ORGANIZER):
        return error(400, "bad_role", _("role must be judge or organizer."))
    email = str(body.get("email", "")).strip()
    if "@" not in email:
        return error(400, "bad_email", _("Give an e-mail address."))
    try:
        account, password = create_user(
            session(),
            email,
            role,
            name=str(body.get("name", "")).strip(),
            affiliation=str(body.get("affiliation", "")).strip(),
        )
    except ValueError as exc:
        session().rollback()
        return error(409, "exists", str(exc))
    audit(session(), None, user, "user.create", account.email, None, {"role": role})
    session().commit()
    return jsonify({"email": account.email, "role": role, "password": password}), 201

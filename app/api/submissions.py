"""Uploads, a submission's state and its final pick (SPEC §4)."""

from __future__ import annotations

import logging

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.api import MULTIPART_ROOM, bp, error, user_or_401
from app.extensions import limiter
from app.lookup import event_or_404, known_team, session, task_or_404
from app.runtime import runtime
from app.serialize import find_submission, run_json, submission_json
from app.web.auth import CarriedTokenUse
from core.db import utcnow
from core.errors import clip
from core.models import Event, Role, RunStatus, Status, Submission, Task, Team, User
from judge.code_runs import refusal
from judge.runner import RQDispatcher
from judge.standings import recount
from organize.dashboard import note_storage_full
from review import notes
from submissions.dry_runs import accept_dry_run
from submissions.intake import IntakeError, accept_upload, idempotency_key, team_of
from submissions.locks import team_locked

log = logging.getLogger(__name__)
SANDBOX_RETRY_S = 60


def upload_limit() -> str:
    return f"{runtime().settings.hourly_upload_limit}/hour"


def upload_limit_message() -> str:
    return _(
        "At most %(count)d uploads an hour; try again later.",
        count=runtime().settings.hourly_upload_limit,
    )


def uploader_key() -> str:
    # Per user, never the raw token: keys in Redis must not hold secrets.
    if current_user.is_authenticated:
        return f"upload:user:{current_user.id}"
    return f"upload:ip:{request.remote_addr}"


def max_upload_bytes(task: Task) -> int:
    mb = task.max_file_mb or runtime().settings.max_upload_mb
    return int(mb * 1_000_000)


def apply_upload_limit(event_slug: str, task_slug: str) -> None:
    """Cap the request body at the task's file limit (plus multipart overhead)."""
    task = task_or_404(event_or_404(event_slug), task_slug)
    # Enforced by Werkzeug while the body streams in, before anything is buffered.
    request.max_content_length = max_upload_bytes(task) + MULTIPART_ROOM


@bp.post("/events/<event_slug>/tasks/<task_slug>/submissions")
@limiter.limit(upload_limit, key_func=uploader_key, error_message=upload_limit_message)
def create_submission(event_slug: str, task_slug: str) -> Response | tuple[Response, int]:
    """Upload a prediction file; answers 202 at once, scoring follows."""
    user = user_or_401()
    event = event_or_404(event_slug)
    task = task_or_404(event, task_slug)
    limit = max_upload_bytes(task)
    # The token's last use, if due, rides in the row's statement rather than in this commit.
    with CarriedTokenUse() as token_use:
        # No database connection held open while a slow upload streams in.
        session().commit()
        return _upload(user, event, task, limit, token_use)


def _upload(
    user: User, event: Event, task: Task, limit: int, token_use: CarriedTokenUse
) -> Response | tuple[Response, int]:
    """The upload's body: checked, stored, its row committed, its job dispatched."""
    upload = request.files.get("file")
    if upload is None:
        return error(400, "no_file", _("Send the file as multipart form field 'file'."))
    if task.is_code and (refused := code_refusal()) is not None:
        log.error("program upload refused: %s", refused)
        return error(
            503,
            "sandbox_unavailable",
            _("Programs cannot be run at the moment; the organizers have been told."),
            SANDBOX_RETRY_S,
        )
    if request.args.get("dry_run") in ("1", "true"):
        return _dry_run(user, event, task, upload, limit)
    team_id = request.form.get("team_id", type=int)
    try:
        accepted = accept_upload(
            session(),
            user=user,
            event=event,
            task=task,
            stream=upload.stream,
            filename=upload.filename or "submission.csv",
            note=request.form.get("note", ""),
            storage_dir=runtime().settings.storage_dir,
            max_bytes=limit,
            team_id=team_id,
            key=idempotency_key(request.headers.get("Idempotency-Key")),
            team=known_team(user.id, event.id),
            token_use=token_use.use,
        )
    except IntakeError as exc:
        session().rollback()
        if exc.status == 507:  # the disk is full: the organizers' dashboard says so
            note_storage_full(runtime())
        return error(exc.status, exc.code, exc.message, exc.retry_after)
    sub = accepted.submission
    if accepted.replayed:
        # A retry: the first reply again, the job dispatched then (or by the reconciler).
        team = session().get(Team, sub.team_id)
        reply = jsonify(submission_json(sub, task, team, staff=False))
        reply.headers["Idempotent-Replayed"] = "true"
        return reply, 202
    dispatch(sub.id, task)
    team = session().get(Team, sub.team_id)
    return jsonify(submission_json(sub, task, team, staff=False)), 202


def dispatch(submission_id: int, task: Task) -> None:
    """The upload's job, and its attempt marked for the boards: in production one Redis round
    trip for both (they were three: issue 14)."""
    rt = runtime()
    try:
        if isinstance(rt.dispatcher, RQDispatcher) and rt.redis is not None:
            with rt.redis.pipeline() as pipe:
                rt.dispatcher.enqueue(submission_id, code=task.is_code, pipeline=pipe)
                marked = rt.publisher.note_in(task.id, pipe)
                pipe.execute()
        else:
            rt.dispatcher.enqueue(submission_id, code=task.is_code)
            marked = False
    except Exception:
        # The row is committed: the reconciler dispatches it once the queue is back.
        log.exception("enqueue of submission %s failed; left to the reconciler", submission_id)
        marked = False
    if not marked:
        # A team's attempt count shows on the board with the next push (its score's, or the
        # clock's within two seconds): the request only marks it (``Publisher.noted``).
        rt.publisher.noted(task.id)


def code_refusal() -> str | None:
    """Why programs cannot run now (a code worker's sandbox failed its self-test), or None."""
    try:
        return refusal(runtime().redis, runtime().settings.queue_name)
    except RedisError:
        return None  # Redis away: the upload's own enqueue says so, or the reconciler heals it


def _dry_run(
    user: User, event: Event, task: Task, upload: FileStorage, limit: int
) -> tuple[Response, int]:
    """A dry run of the team's program on the sample inputs: 202 and the run to follow."""
    try:
        run = accept_dry_run(
            session(),
            user=user,
            event=event,
            task=task,
            stream=upload.stream,
            filename=upload.filename or "main.py",
            storage_dir=runtime().settings.storage_dir,
            max_bytes=limit,
        )
        session().commit()
    except IntakeError as exc:
        session().rollback()
        return error(exc.status, exc.code, exc.message, exc.retry_after)
    try:
        runtime().dispatcher.enqueue_dry_run(run.id)
    except Exception:
        log.exception("enqueue of dry run %s failed", run.id)
        run.status, run.finished_at = RunStatus.FAILED, utcnow()  # not left waiting for nothing
        session().commit()
        return error(503, "queue_unavailable", _("The run could not be queued; try again."), 5)
    reply = jsonify(run_json(run, task, staff=False))
    reply.headers["Location"] = f"/api/v1/runs/{run.public_id}"
    return reply, 202


def _visible_submission(submission_ref: str) -> tuple[Submission, Task, Team, bool]:
    user = user_or_401()
    # A team names its submissions by public id only (app.serialize: the freeze's leak).
    sub = find_submission(session(), submission_ref, staff=user.is_staff)
    if sub is None:
        abort(404, description=_("No submission %(id)s.", id=clip(submission_ref)))
    task = session().get(Task, sub.task_id)
    team = session().get(Team, sub.team_id)
    event = session().get(Event, task.event_id)
    staff = user.is_staff
    if staff:
        visible = notes.may_see_team(session(), user, team)  # a judge's conflicts
    else:
        mine = team_of(session(), user, event)
        visible = mine is not None and mine.id == sub.team_id
    if not visible:
        # 404, not 403: other teams' submission ids are not confirmed to exist.
        abort(404, description=_("No submission %(id)s.", id=clip(submission_ref)))
    return sub, task, team, staff


@bp.get("/submissions/<submission_ref>")
def get_submission(submission_ref: str) -> Response:
    """One submission, as its team or staff may see it."""
    sub, task, team, staff = _visible_submission(submission_ref)
    return jsonify(submission_json(sub, task, team, staff=staff))


@bp.route("/submissions/<submission_ref>/final", methods=["POST", "DELETE"])
def set_final(submission_ref: str) -> Response | tuple[Response, int]:
    """Pick or unpick a scored submission for the private board (rule 2)."""
    sub, task, team, _staff = _visible_submission(submission_ref)
    user = user_or_401()
    if user.role != Role.PARTICIPANT:
        return error(403, "forbidden", _("Only the team picks its final submissions."))
    event = session().get(Event, task.event_id)
    if utcnow() >= event.end_at:
        return error(409, "closed", _("Final picks are locked after the deadline."))
    picking = request.method == "POST"
    # Counted and written under the team's lock: concurrent picks take turns, so the limit
    # holds (five at once with a limit of two kept three to five before).
    with team_locked(session(), team.id):
        session().refresh(sub)  # as committed before the lock (a concurrent pick of it too)
        refusal = _pick_refusal(sub, task) if picking else None
        if refusal is None:
            sub.final = picking
            recount(session(), task, team.id)  # its pick for the private board
    if refusal is not None:
        return refusal
    runtime().publisher.noted(task.id)  # the staff's private board shows it with the next push
    return jsonify(submission_json(sub, task, team, staff=False))


def _pick_refusal(sub: Submission, task: Task) -> Response | None:
    """Why ``sub`` cannot be picked now, or None; run under the team's lock."""
    if sub.status != Status.SCORED:
        return error(409, "not_scored", _("Only scored submissions can be picked."))
    if sub.final:
        return None  # picked already: picking again changes nothing
    picks = session().scalar(
        select(func.count(Submission.id)).where(
            Submission.team_id == sub.team_id,
            Submission.task_id == sub.task_id,
            Submission.final.is_(True),
        )
    )
    if picks >= task.final_picks:
        return error(
            409,
            "too_many_picks",
            _("At most %(count)d final picks; unpick one first.", count=task.final_picks),
        )
    return None


from app.api import code, runs, verifications  # noqa: E402,F401  (issue 16: beside the uploads)

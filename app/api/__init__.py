"""REST API v1 (SPEC §9): JSON in, JSON out, errors as ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import csrf
from app.lookup import event_and_task_or_404, event_task_and_token, session
from app.security import lookup_hash, still_live
from app.web import unavailable
from app.web.auth import authenticated_by_token, bearer_token, remember_token
from core.errors import N_

MULTIPART_ROOM = 64 * 1024  # a form's other fields and boundaries beside its file

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer-token calls carry no cookie; browser calls are checked below


def error(status: int, code: str, message: object, retry_after: int | None = None) -> Response:
    """``message`` is already in the reader's language: ``_()`` text, or a translatable error."""
    response = jsonify({"error": {"code": code, "message": str(message)}})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def download(body: bytes, filename: str, mimetype: str) -> Response:
    """``body`` as a file to save as ``filename`` (Werkzeug quotes the name, and encodes it
    when it is not ASCII)."""
    return send_file(
        io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )


UPLOAD_ENDPOINT = "api.create_submission"


def init_app(app: Flask) -> None:
    """Hooks that must run before every other (registered ahead of the blueprints)."""
    app.before_request(_upload_lookups_autocommit)


def _upload_lookups_autocommit() -> None:
    # An upload's lookups before its body streams in (its token, event and task) are reads
    # (and, at most once a minute, the token's last use), committed before the body is read
    # so that no connection waits on a slow upload: run as single statements, they need no
    # BEGIN and no COMMIT, two round trips of the four or five before the body (issue 14).
    # Its row is written later, by a statement of its own. First of all hooks: the token,
    # event and task are looked up here, together, before the app-wide hooks ask for them.
    if request.endpoint == UPLOAD_ENDPOINT:
        session().connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        _look_up_upload()


def _look_up_upload() -> None:
    """An upload's token, event and task in one statement, remembered for the hooks and the
    view (which would look them up one after the other). An unknown event or a token not
    of ours: nothing remembered, and they look up as any request does (404, 401)."""
    token = bearer_token(request)
    token_hash = lookup_hash(token) if token is not None else None
    if token_hash is None or not request.view_args:
        return
    found = event_task_and_token(
        request.view_args["event_slug"], request.view_args["task_slug"], token_hash
    )
    if found is not None:
        remember_token(still_live(found[2]))


@bp.before_request
def _limit_then_csrf() -> None:
    # The size limit must be in force before anything reads the body: Flask-WTF's CSRF check
    # parses the form of a browser upload.
    if request.endpoint == UPLOAD_ENDPOINT and request.view_args:
        from app.api.submissions import apply_upload_limit

        # Looked up by ``_look_up_upload`` already (else here, in one query): the limit and
        # then the view find them.
        event_and_task_or_404(request.view_args["event_slug"], request.view_args["task_slug"])
        apply_upload_limit(**request.view_args)
    elif request.endpoint == "api.attach" and request.view_args:
        from app.api.verifications import apply_attach_limit

        apply_attach_limit(**request.view_args)
    # Only a valid token lifts CSRF: with a bogus one, the session cookie is what identifies
    # the request, and a forged request carries that cookie by itself (issue 12).
    if request.method in ("GET", "HEAD", "OPTIONS") or authenticated_by_token():
        return
    if not current_user.is_authenticated:
        abort(401)  # nobody to protect: say "sign in" rather than "CSRF token missing"
    csrf.protect()


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return http_error_json(exc)


# The database or Redis away: 503 + Retry-After on every route, pages included (issue 12).
unavailable.register(bp)


CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_file",
    429: "rate_limited",
    503: "unavailable",
}

# Said when an ``abort(status)`` gives no description: werkzeug's own texts are English.
MESSAGES = {
    400: N_("The request is not valid."),
    401: N_("Sign in, or send 'Authorization: Bearer <token>'."),
    403: N_("You may not do this."),
    404: N_("Not found."),
    405: N_("This method is not allowed here."),
    409: N_("This conflicts with the current state."),
    413: N_("The upload is too large."),
    422: N_("The file could not be processed."),
    429: N_("Too many requests; try again later."),
}
OTHER = N_("The request could not be completed.")


def describe(exc: HTTPException) -> str:
    """What went wrong, in the reader's language (API errors and error pages alike)."""
    status = exc.code or 500
    # A description our code passed (``abort(404, description=_(...))``) is in the reader's
    # language already; otherwise werkzeug's class default would be English.
    message = vars(exc).get("description") or _(MESSAGES.get(status, OTHER))
    if isinstance(exc, CSRFError):  # Flask-WTF's reasons are English and mean one thing here
        message = _("The page's security token is missing or expired; reload the page.")
    if status == 401:
        message = _(MESSAGES[401])
    if status == 413:
        limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
        if limit:
            megabytes = f"{limit / 1e6:g}"
            message = _("The upload is larger than the %(limit)s MB limit.", limit=megabytes)
    return str(message)


def http_error_json(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = describe(exc)
    retry = None
    if status == 429 and exc.response is not None:
        retry = exc.response.headers.get("Retry-After")
    # An exception may name its own code (app.api.validate: "invalid_json", "invalid_field").
    code = getattr(exc, "error_code", None) or CODES.get(status, "error")
    return error(status, code, message, int(retry) if retry else None)


def user_or_401() -> Any:
    if not current_user.is_authenticated:
        abort(401)
    return current_user._get_current_object()


from app.api import (  # noqa: E402,F401  (routes register on bp)
    ceremony,
    dashboard,
    history,
    leaderboard,
    rescore,
    review,
    review_notes,
    setup,
    submissions,
    tokens,
)

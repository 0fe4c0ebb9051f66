"""REST API v1 (SPEC §9): JSON in, JSON out, errors as ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from app.auth import bearer_token
from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer-token calls carry no cookie; browser calls are checked below


def error(status: int, code: str, message: str, retry_after: int | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.before_request
def _limit_then_csrf() -> None:
    # The size limit must be in force before anything reads the body: Flask-WTF's CSRF check
    # parses the form of a browser upload.
    if request.endpoint == "api.create_submission" and request.view_args:
        from app.api.views import apply_upload_limit

        apply_upload_limit(**request.view_args)
    if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token(request) is not None:
        return
    if not current_user.is_authenticated:
        abort(401)  # nobody to protect: say "sign in" rather than "CSRF token missing"
    csrf.protect()


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return http_error_json(exc)


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
}


def http_error_json(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = exc.description or exc.name
    if status == 401:
        message = "Sign in, or send 'Authorization: Bearer <token>'."
    if status == 413:
        limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
        message = f"The upload is larger than the {limit / 1e6:g} MB limit." if limit else message
    retry = None
    if status == 429 and exc.response is not None:
        retry = exc.response.headers.get("Retry-After")
    return error(status, CODES.get(status, "error"), message, int(retry) if retry else None)


def user_or_401() -> Any:
    if not current_user.is_authenticated:
        abort(401)
    return current_user._get_current_object()


from app.api import (  # noqa: E402,F401  (routes register on bp)
    ceremony,
    dashboard,
    history,
    review,
    review_notes,
    setup,
    views,
)

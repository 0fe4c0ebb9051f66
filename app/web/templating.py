"""Template filters and error pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, Response, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext
from werkzeug.exceptions import HTTPException

from app.messages import submission_error

# Listed here so that extraction finds the role names shown in the header.
ROLE_LABELS = {
    "organizer": lazy_gettext("organizer"),
    "judge": lazy_gettext("judge"),
    "participant": lazy_gettext("participant"),
}


def localtime(moment: datetime | None, timezone: str = "Asia/Seoul") -> str:
    """A UTC moment shown in the event's timezone, e.g. ``2026-11-28 21:00 KST``."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(role, role)
    # A submission's validation message in the reader's language.
    app.jinja_env.globals["submission_error"] = submission_error

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException) -> Response | tuple[str, int]:
        if request.path.startswith("/api/"):
            from app.api import http_error_json

            return http_error_json(exc)
        if exc.code == 401:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        from app.api import describe

        return render_template("error.html", error=exc, message=describe(exc)), exc.code or 500

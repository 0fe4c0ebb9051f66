"""Module-level extensions, bound to the app in ``create_app`` via ``init_app``."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, request
from flask_babel import Babel, lazy_gettext
from flask_limiter import Limiter as FlaskLimiter
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

from core.db import Database
from core.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES

log = logging.getLogger(__name__)
# When the window's end cannot be read (Redis away just then): a minute.
RETRY_AFTER_UNKNOWN_S = 60


def seconds_until_reset(limit: RequestLimit | None) -> int:
    """Whole seconds until the breached ``limit``'s window ends, at least 1.

    Flask-Limiter rounds the window's end up a whole second; the wait never exceeds the window
    itself (a 15-minute lockout once said 901 s).
    """
    if limit is None:
        return RETRY_AFTER_UNKNOWN_S
    try:
        wait = limit.reset_at - time.time()
    except Exception:  # the storage went away between the hit and now
        log.warning("could not read the end of the rate-limit window of %s", limit.key)
        return RETRY_AFTER_UNKNOWN_S
    return min(limit.limit.get_expiry(), max(1, math.ceil(wait)))


class Limiter(FlaskLimiter):
    """Flask-Limiter with ``Retry-After`` on a refusal only (``RATELIMIT_HEADERS_ENABLED`` is
    off, config.py).

    Its ``X-RateLimit-*`` headers read the counter back after the hit — two more Redis round
    trips on every limited request (each upload: issue 14) — for headers neither the SPEC nor
    docs/api.md promise and no client of ours reads. The limit itself stays one atomic
    increment in Redis; the window's end is read only for a 429, whose ``Retry-After`` the
    SPEC does promise.
    """

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.after_request(self._add_retry_after)

    def _add_retry_after(self, response: Response) -> Response:
        if response.status_code != 429 or "Retry-After" in response.headers:
            return response  # not ours, or the refusal said how long already (a quota)
        limit = self.current_limit
        if limit is None or not limit.breached:
            return response
        response.headers["Retry-After"] = str(seconds_until_reset(limit))
        return response


db = Database()
socketio = SocketIO()
login_manager = LoginManager()
# Flask-Login's own notice ("Please log in to access this page.") is English on every page.
login_manager.login_message = lazy_gettext("Sign in to see this page.")
# Made a plain string in the refused request's language before it is flashed: the session
# holds no lazy string, and a str is escaped when shown (a lazy one would come back as Markup).
login_manager.localize_callback = str
login_manager.login_message_category = "info"  # as the app's own notices (app/web/tokens.py)
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


def select_locale() -> str:
    """Korean unless the user chose English: ``?lang=en``, the ``lang`` cookie, or, for API
    clients with a token (the CLI, scripts), their ``Accept-Language`` header.

    A browser's own ``Accept-Language`` is not used: the page and its API calls must agree,
    and the site is Korean until its user switches.
    """
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    from app.web.auth import bearer_token  # app.web.auth imports these extensions

    if bearer_token(request) is not None:
        asked = request.accept_languages.best_match(SUPPORTED_LOCALES)
        if asked:
            return asked
    return DEFAULT_LOCALE

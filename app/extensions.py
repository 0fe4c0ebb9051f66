"""Module-level extensions, bound to the app in ``create_app`` via ``init_app``."""

from __future__ import annotations

from flask import request
from flask_babel import Babel, lazy_gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

from core.db import Database
from core.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES

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

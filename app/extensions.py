"""Module-level extensions, bound to the app in ``create_app`` via ``init_app``."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

from app.db import Database

db = Database()
socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()

SUPPORTED_LOCALES = ("ko", "en")


def select_locale() -> str:
    """Korean unless the user chose English (``?lang=en`` sets a cookie) or asks for it."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return "ko"

"""The hackjudge web application: app factory, extensions, pages, REST API, live channel."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from config import Settings


def create_app(settings: Settings | None = None, *, start_background: bool = True) -> Flask:
    """Build the Flask app for ``settings`` (embedded or production mode)."""
    from app import auth, live, messages, pages, review_pages, templating
    from app.api import bp as api_bp
    from app.extensions import babel, csrf, db, limiter, login_manager, select_locale, socketio
    from app.runtime import init_runtime

    settings = settings or Settings()
    app = Flask(__name__, instance_path=str(settings.instance_dir.resolve()))
    app.config.update(settings.flask_config())
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Korean names stay readable
    settings.storage_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    socketio_options: dict[str, Any] = {"async_mode": settings.async_mode}
    if settings.redis_url:
        socketio_options["message_queue"] = settings.redis_url
        socketio_options["channel"] = settings.socketio_channel
    socketio.init_app(app, **socketio_options)

    templating.init_app(app)
    messages.init_app(app)
    login_manager.login_view = "auth.login"
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(review_pages.bp)
    app.register_blueprint(api_bp)
    live.register(socketio)
    init_runtime(app, settings, start_background=start_background)
    return app

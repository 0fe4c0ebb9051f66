"""The hackjudge web application: app factory, extensions, pages, REST API, live channel."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings


def create_app(settings: Settings | None = None, *, start_background: bool = True) -> Flask:
    """Build the Flask app for ``settings`` (embedded or production mode)."""
    from app import api, live, messages
    from app.api import bp as api_bp
    from app.extensions import babel, csrf, db, limiter, login_manager, select_locale, socketio
    from app.runtime import init_runtime
    from app.web import auth, console, headers, inputs, pages, templating
    from app.web import gallery as gallery_pages
    from app.web import projects as project_pages
    from app.web import review as review_pages

    settings = settings or Settings()
    app = Flask(__name__, instance_path=str(settings.instance_dir.resolve()))
    inputs.init_app(app)  # ids the database holds, no NUL: before any route is added
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
    socketio_options: dict[str, Any] = {
        "async_mode": settings.async_mode,
        **live.server_options(app, settings),  # its manager (Redis in production), limits
    }
    socketio.init_app(app, **socketio_options)
    if settings.proxy_count:
        # Behind nginx the forwarded address names the client, for every per-address limit;
        # wrapped after Socket.IO's middleware, so sockets see it too.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count)  # type: ignore[method-assign]

    api.init_app(app)  # first of the request hooks
    templating.init_app(app)
    headers.init_app(app)  # CSP, no framing, nosniff: on every answer
    messages.init_app(app)
    login_manager.login_view = "auth.login"
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(review_pages.bp)
    app.register_blueprint(project_pages.bp)
    app.register_blueprint(gallery_pages.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(api_bp)
    live.register(socketio)
    init_runtime(app, settings, start_background=start_background)
    return app

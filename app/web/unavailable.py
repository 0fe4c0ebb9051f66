"""While the database or Redis is away: ``503`` with ``Retry-After``, never a 500 (issue 12).

Any request that needs the missing service (signing in by token, an upload, a page) fails on
the connection error of SQLAlchemy or redis-py; each such error becomes a ``503`` — the API's
JSON error shape, or a small page that reloads itself — and the next request tries again:
PostgreSQL's pool pings a connection that lay idle before lending it (``core.db.make_engine``),
Redis clients reconnect by themselves. Other database errors (a constraint, a bug) stay 500s.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import escape
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5
OUTAGES: tuple[type[Exception], ...] = (
    OperationalError,  # connection refused or cut, server shutting down
    InterfaceError,  # the connection is closed
    PoolTimeoutError,  # no connection free in the pool in time
    RedisConnectionError,
    RedisTimeoutError,
)


def is_outage(exc: BaseException) -> bool:
    """A service is away (rather than a request or code at fault)."""
    if isinstance(exc, OUTAGES):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def message() -> str:
    return _(
        "The service is briefly unavailable (its database or queue is away); "
        "try again in a few seconds."
    )


def answer(exc: Exception) -> Response:
    """The 503 for an outage; any other database error is raised on, to be a 500."""
    if not is_outage(exc):
        raise exc
    log.warning("%s %s answered 503: %s", request.method, request.path, str(exc).splitlines()[0])
    if request.path.startswith("/api/"):
        from app.api import error

        return error(503, "unavailable", message(), RETRY_AFTER_S)
    # A page of its own: the site's layout asks the database who is signed in.
    refresh = (
        f'<meta http-equiv="refresh" content="{RETRY_AFTER_S}">' if request.method == "GET" else ""
    )
    page = (
        f'<!doctype html><html lang="{escape(str(get_locale() or "ko"))}"><head>'
        f'<meta charset="utf-8">{refresh}<title>503 · hackjudge</title></head>'
        f"<body><main><h1>503</h1><p>{escape(message())}</p></main></body></html>"
    )
    return Response(
        page,
        status=503,
        mimetype="text/html",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def register(bp: Blueprint) -> None:
    """Answer outages this way on every route of the app (pages and API alike)."""
    for kind in (*OUTAGES, DBAPIError):
        bp.app_errorhandler(kind)(answer)

"""SQLAlchemy 2.0 plumbing shared by the web app, the workers and the CLI (no Flask needed)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Float, create_engine, event
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The server clock, timezone-aware UTC."""
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """A stored moment as the API and the live channel send it: ISO 8601 in UTC, ``Z``."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always hands back aware datetimes (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Real(TypeDecorator[float]):
    """A float that stays a float: SQLite hands back an integral REAL as an integer through
    ``UPDATE … RETURNING`` (a score of 1.0 came back as 1, and the team's push said ``1``)."""

    impl = Float
    cache_ok = True

    def process_result_value(self, value: float | None, dialect: Any) -> float | None:
        return None if value is None else float(value)


class Base(DeclarativeBase):
    """Declarative base of every hackjudge table."""


def make_engine(url: str) -> Engine:
    """An engine with the settings each backend needs for concurrent scoring."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets the board be read while a scoring thread writes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


# A pooled connection is pinged before it is lent only once it has lain idle this long.
# SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip of its own before the
# first statement of every transaction, two per upload on a web node and three or four per
# file on a worker (issue 14). What the ping is for — connections a database restart or a
# killed backend left dead in the pool — happens to connections at rest, not to one given
# back a moment ago; one that dies all the same fails its statement, which answers 503 as
# any outage does (``app.web.unavailable``) and invalidates the pool, as a failed ping would.
PING_IDLE_S = 1.0
_RETURNED_AT = "hackjudge_returned_at"


def _ping_when_idle(engine: Engine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_conn: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()  # fresh: no ping needed

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_RETURNED_AT, -math.inf) < PING_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_conn, None):
                raise
            # As pool_pre_ping does: every pooled connection of before now is replaced.
            raise InvalidatePoolError() from exc


class Database:
    """Engine + session factory; ``init_app`` binds the request-scoped session to Flask."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None
        self.session: scoped_session[Session] | None = None  # request-scoped, web only
        self.url: str | None = None

    def configure(self, url: str) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.url = url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.session = scoped_session(self.session_factory)

    def init_app(self, app: Any) -> None:
        self.configure(app.config["HACKJUDGE"].database_url)

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            assert self.session is not None
            try:
                self.session.remove()
            except DBAPIError:
                # The database went away after the answer was made (its closing ROLLBACK
                # failed): the connection is invalidated already, and the client keeps the
                # answer rather than getting a 500 from the server (issue 12).
                self.session.registry.clear()

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A fresh session in a transaction, for jobs and CLI commands."""
        assert self.session_factory is not None, "Database.configure() was not called"
        with self.session_factory() as session, session.begin():
            yield session

    @contextmanager
    def each_statement(self) -> Iterator[Session]:
        """A fresh session whose statements commit one by one, for work that is a single
        statement or reads that need no shared snapshot (READ COMMITTED gives each statement
        its own anyway): on PostgreSQL in autocommit, which spares the BEGIN and the COMMIT,
        two round trips of a transaction's three or four (issue 14). SQLite: as ``begin``,
        whose transactions keep the embedded mode's writers one at a time."""
        assert self.session_factory is not None, "Database.configure() was not called"
        assert self.engine is not None
        with self.session_factory() as session, session.begin():
            if self.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

"""SQLAlchemy 2.0 plumbing shared by the web app, the workers and the CLI (no Flask needed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
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
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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

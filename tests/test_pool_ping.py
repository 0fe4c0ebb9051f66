"""PostgreSQL's pool pings a connection before lending it only after it lay idle (issue 14):
one given back a moment ago is lent as it is; one at rest longer is pinged, and replaced
(with every other pooled connection) when its backend is gone."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import text

import core.db
from config import normalise_database_url
from core.db import make_engine


def engine_counting(url: str, seen: list[Any]) -> Any:
    engine = make_engine(normalise_database_url(url))
    real_ping = engine.dialect.do_ping

    def counted(dbapi_conn: Any) -> bool:
        seen.append(dbapi_conn.info.backend_pid)  # known here even once the backend is gone
        return real_ping(dbapi_conn)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return engine


def backend_pid(engine: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_given_back_a_moment_ago_is_lent_without_a_ping(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.db, "PING_IDLE_S", 3600.0)
    seen: list[Any] = []
    engine = engine_counting(postgres_url, seen)
    try:
        first = backend_pid(engine)
        for _ in range(5):
            assert backend_pid(engine) == first  # the same pooled connection each time
        assert seen == []
    finally:
        engine.dispose()


def test_a_connection_idle_past_the_limit_is_pinged_and_replaced_when_dead(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.db, "PING_IDLE_S", 0.0)  # every checkout counts as after a rest
    seen: list[Any] = []
    engine = engine_counting(postgres_url, seen)
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    try:
        dead = backend_pid(engine)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (dead,))
        # The ping finds the backend gone: a new connection is lent, the statement succeeds.
        fresh = backend_pid(engine)
        assert fresh != dead
        assert dead in seen
    finally:
        engine.dispose()

"""Fixtures by role: services, ``app``, ``client``, ``contest``, ``api``, ``worker``,
``live_client``."""

from __future__ import annotations

import itertools
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis as redis_lib
import socketio
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from config import Settings
from migrations import upgrade
from tests.actions import Api
from tests.helpers import Contest, Proc, seed_contest
from tests.services import PG_URL, REDIS_URL, Throwaway, pg_answers, redis_answers

_counter = itertools.count()
_asserts_passed = 0


def pytest_assertion_pass() -> None:
    global _asserts_passed
    _asserts_passed += 1


_raises = pytest.raises


def _counted_raises(*args: Any, **kwargs: Any) -> Any:
    """``pytest.raises``, which asserts too: counted like a passed assert by the guard below
    (a raises block whose exception does not come fails the test anyway)."""
    global _asserts_passed
    _asserts_passed += 1
    return _raises(*args, **kwargs)


pytest.raises = _counted_raises


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A parametrised case that passes without one assert passing tested nothing: it fails.

    (An early ``return`` for a case the test cannot handle once hid 26 such cases.)
    """
    before = _asserts_passed
    result = yield
    if hasattr(item, "callspec") and _asserts_passed == before:
        pytest.fail(f"{item.nodeid} passed without asserting anything", pytrace=False)
    return result


# What makes a test slow, by the fixtures it asks for: hackjudge processes (a server, a worker,
# the command line, all run with one of the two environments) or Chromium. Such a test is marked
# ``slow`` here, and `make test-fast` (pytest -m "not slow") leaves it out; a test slow for
# another reason (seconds of scoring, a subprocess of its own) carries the mark in its module.
SLOW_FIXTURES = frozenset({"spawned", "embedded_env", "production_env", "browser"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def throwaway() -> Iterator[Throwaway]:
    servers = Throwaway()
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def postgres_admin_url(throwaway: Throwaway) -> str:
    return PG_URL if pg_answers(PG_URL) else throwaway.postgres()


@pytest.fixture(scope="session")
def redis_url(throwaway: Throwaway) -> Iterator[str]:
    url = REDIS_URL if redis_answers(REDIS_URL) else throwaway.redis()
    client = redis_lib.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


def _db_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _admin(admin_url: str, *statements: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture(scope="session")
def pg_template(postgres_admin_url: str) -> Iterator[str]:
    """A migrated database that each test copies (CREATE DATABASE … TEMPLATE)."""
    name = f"hackjudge_tmpl_{os.getpid()}"
    _admin(postgres_admin_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    upgrade(_db_url(postgres_admin_url, name))
    yield name
    _admin(postgres_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def postgres_url(postgres_admin_url: str, pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, as users write the URL."""
    name = f"hackjudge_test_{os.getpid()}_{next(_counter)}"
    _admin(postgres_admin_url, f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield _db_url(postgres_admin_url, name)
    if db.engine is not None:
        db.engine.dispose()
    _admin(postgres_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database that each test copies (as ``pg_template`` for PostgreSQL)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "hackjudge.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh SQLite database for one test: a copy of the migrated template."""
    path = tmp_path / "hackjudge.sqlite"
    source, copy = sqlite3.connect(sqlite_template), sqlite3.connect(path)
    with closing(source), closing(copy):
        source.backup(copy)
    return f"sqlite:///{path}"


# The PostgreSQL twin of each in-process test makes a database of its own: ``slow``, so that
# `make test-fast` runs each once, on SQLite.
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both backends: SQLite (embedded default) and PostgreSQL (production)."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        redis_url=None,
        storage_dir=tmp_path / "storage",
        secret_key="test",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The embedded app (threads score) on the parametrised database."""
    application = create_app(settings, start_background=False)
    application.config.update(TESTING=True)
    yield application
    application.extensions["hackjudge"].dispatcher.drain(30)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def contest(app: Flask, settings: Settings, tmp_path: Path) -> Contest:
    return seed_contest(db, settings.storage_dir, tmp_path)


@pytest.fixture
def api(app: Flask, client: FlaskClient, contest: Contest) -> Api:
    """The seeded contest's REST API through the test client (``tests/actions.py``)."""
    return Api(client, contest, app)


# --- real processes -----------------------------------------------------------------------


@pytest.fixture
def production_env(tmp_path: Path, postgres_url: str, redis_url: str) -> dict[str, str]:
    """Environment of a production deployment: PostgreSQL, Redis, shared storage."""
    tag = secrets.token_hex(4)
    return {
        "HACKJUDGE_DATABASE_URL": postgres_url,
        "HACKJUDGE_REDIS_URL": redis_url,
        "HACKJUDGE_INSTANCE_DIR": str(tmp_path / "instance"),
        "HACKJUDGE_STORAGE_DIR": str(tmp_path / "storage"),
        "HACKJUDGE_QUEUE": f"test-{tag}",
        "HACKJUDGE_SOCKETIO_CHANNEL": f"test-{tag}",
        "HACKJUDGE_SECRET_KEY": "test",
    }


@pytest.fixture
def embedded_env(tmp_path: Path, sqlite_url: str) -> dict[str, str]:
    return {
        "HACKJUDGE_DATABASE_URL": sqlite_url,
        "HACKJUDGE_INSTANCE_DIR": str(tmp_path / "instance"),
        "HACKJUDGE_STORAGE_DIR": str(tmp_path / "storage"),
        "HACKJUDGE_SECRET_KEY": "test",
        "HACKJUDGE_REDIS_URL": "",
    }


@pytest.fixture
def spawned(tmp_path: Path) -> Iterator[list[Proc]]:
    """Processes started by a test; all stopped afterwards, logs shown on failure."""
    procs: list[Proc] = []
    yield procs
    for proc in procs:
        proc.stop()


@pytest.fixture
def live_client() -> Iterator[socketio.Client]:
    """A real python-socketio client; connect it to a server's ``/live`` namespace."""
    client = socketio.Client(reconnection=False)
    yield client
    if client.connected:
        client.disconnect()


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("HACKJUDGE_TEST_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()

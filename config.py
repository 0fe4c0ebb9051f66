"""Configuration: every setting comes from an environment variable prefixed ``HACKJUDGE_``.

Embedded mode (the default) needs nothing: SQLite in the instance folder and scoring in
background threads. Production mode is switched on by ``HACKJUDGE_REDIS_URL``.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_INSTANCE = Path(__file__).resolve().parent / "instance"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"HACKJUDGE_{name}", default)


def normalise_database_url(url: str) -> str:
    """Accept ``postgresql://`` as users write it and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def gevent_patched() -> bool:
    """Has gevent monkey-patched this process (``hackjudge serve``, ``gunicorn -k gevent``)?"""
    monkey = sys.modules.get("gevent.monkey")  # never import gevent just to ask
    return bool(monkey and monkey.is_module_patched("socket"))


def default_async_mode(production: bool) -> str:
    """gevent for a production web node running under gevent, else threading.

    gevent holds thousands of websocket viewers where threads collapse (README, "Measured"),
    but only works in a patched process, so an unpatched one (``gunicorn --threads``, tests
    building the app in-process) stays on threads. Embedded mode scores in the server's own
    threads: CPU-bound work in greenlets would freeze every connection, so it never uses gevent.
    """
    return "gevent" if production and gevent_patched() else "threading"


def launch_with_gevent(command: str, environ: Mapping[str, str]) -> bool:
    """Should the ``hackjudge`` launcher patch for gevent before running ``command``?

    ``HACKJUDGE_ASYNC_MODE`` decides when set; otherwise only ``serve`` in production mode.
    """
    if command not in ("serve", "demo"):
        return False  # workers and organizer commands score or block on purpose: no loop
    explicit = environ.get("HACKJUDGE_ASYNC_MODE")
    if explicit:
        return explicit == "gevent"
    return command == "serve" and bool(environ.get("HACKJUDGE_REDIS_URL"))


@dataclass
class Settings:
    """Typed view of the ``HACKJUDGE_*`` variables (see README, "Configuration")."""

    instance_dir: Path = field(
        default_factory=lambda: Path(_env("INSTANCE_DIR") or DEFAULT_INSTANCE)
    )
    database_url: str = ""
    redis_url: str | None = field(default_factory=lambda: _env("REDIS_URL") or None)
    storage_dir: Path | None = None
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY") or "")
    max_upload_mb: float = field(default_factory=lambda: float(_env("MAX_UPLOAD_MB", "50")))
    hourly_upload_limit: int = field(default_factory=lambda: int(_env("HOURLY_UPLOAD_LIMIT", "60")))
    embedded_threads: int = field(default_factory=lambda: int(_env("SCORING_THREADS", "2")))
    job_timeout: int = field(default_factory=lambda: int(_env("JOB_TIMEOUT", "600")))
    reconcile_seconds: float = field(default_factory=lambda: float(_env("RECONCILE_SECONDS", "30")))
    push_interval_ms: float = field(default_factory=lambda: float(_env("PUSH_INTERVAL_MS", "250")))
    queue_name: str = field(default_factory=lambda: _env("QUEUE", "hackjudge") or "hackjudge")
    default_timezone: str = field(
        default_factory=lambda: _env("TIMEZONE", "Asia/Seoul") or "Asia/Seoul"
    )
    # Redis pub/sub is not scoped by database number: separate deployments need separate channels.
    socketio_channel: str = field(
        default_factory=lambda: _env("SOCKETIO_CHANNEL", "hackjudge") or "hackjudge"
    )
    # Flask-SocketIO async mode; empty means chosen in __post_init__ (see default_async_mode).
    async_mode: str = field(default_factory=lambda: _env("ASYNC_MODE") or "")

    def __post_init__(self) -> None:
        self.instance_dir = Path(self.instance_dir)
        if not self.database_url:
            url = _env("DATABASE_URL") or f"sqlite:///{self.instance_dir / 'hackjudge.sqlite'}"
            self.database_url = url
        self.database_url = normalise_database_url(self.database_url)
        if self.storage_dir is None:
            self.storage_dir = Path(_env("STORAGE_DIR") or self.instance_dir / "storage")
        if not self.secret_key:
            self.secret_key = self._persistent_secret()
        if not self.async_mode:
            self.async_mode = default_async_mode(self.production)

    @property
    def production(self) -> bool:
        """Production mode: scoring goes through RQ workers and Socket.IO through Redis."""
        return bool(self.redis_url)

    def _persistent_secret(self) -> str:
        # A secret kept in the instance folder survives restarts, so sessions stay valid.
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        path = self.instance_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def flask_config(self) -> dict[str, object]:
        """The subset Flask and its extensions read."""
        return {
            "SECRET_KEY": self.secret_key,
            "HACKJUDGE": self,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "BABEL_DEFAULT_LOCALE": "ko",
            "BABEL_DEFAULT_TIMEZONE": self.default_timezone,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "WTF_CSRF_TIME_LIMIT": None,
        }

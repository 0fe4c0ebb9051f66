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
from datetime import timedelta
from pathlib import Path

DEFAULT_INSTANCE = Path(__file__).resolve().parent / "instance"
# ``HACKJUDGE_PUSH_INTERVAL_MS``'s default: at most five board pushes a second per task ("a
# few", SPEC §6), across the deployment with Redis (the slots of ``scoreboard.slots``), per
# process without. Each push is a 26 KB board (200 teams) to every viewer, relayed by every web
# node: at 100 ms a rush's 500 scores made ~380 pushes, and relaying them was ~10% of a web
# node's CPU; at 250 ms, ~220 pushes, but the median upload → push took 182 ms (at 100 ms,
# 100 ms), most of it waiting for the slot. At 200 ms, when it was chosen, ~260 pushes and a
# median of 164 ms (issue 14; bench/README.md).
PUSH_INTERVAL_MS = 200


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

    gevent holds thousands of websocket viewers where threads collapse (bench/README.md),
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


def max_push_bytes() -> int:
    """``HACKJUDGE_MAX_PUSH_KB``: the largest live message any process sends (default 4 MiB).

    Read wherever a publisher is made (web nodes, workers, the CLI), so every emitter caps
    alike: Redis drops a pub/sub subscriber whose buffer passes 32 MB (8 MB for a minute).
    """
    return int(float(_env("MAX_PUSH_KB", "4096")) * 1024)


def worker_nice() -> int:
    """``HACKJUDGE_WORKER_NICE``: how much lower a scoring worker's CPU priority is than the
    web node's (the ``nice`` increment, 0-19; default 10).

    Where both share a machine, an upload's answer (a few ms of the web node's CPU) goes before
    the file scoring behind it (tens of ms of a worker's): in the deadline rush on 2 cores the
    202's p99 otherwise rose with every worker busy (issue 14). On a machine of its own a worker
    loses nothing by it. Code workers keep their priority: a program's time limit is wall-clock
    time. A function, not only a setting, so that the rush bench gives its floor's workers the
    same priority.
    """
    return max(0, min(19, int(_env("WORKER_NICE", "10"))))


def default_token_days() -> float:
    """``HACKJUDGE_TOKEN_DAYS``: how long a new API token lasts unless its maker chooses.

    A function, not only a setting, so that code without the app's settings at hand (seeding
    scripts, ``app.security.new_token``'s default) gets the same lifetime.
    """
    return float(_env("TOKEN_DAYS", "30") or 30)


@dataclass
class Settings:
    """Typed view of the ``HACKJUDGE_*`` variables (see docs/deploy.md, "Configuration")."""

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
    # Upload files no row names (a crash between the file and its row) and stale .part files
    # are swept once untouched this long; the organizer dashboard warns below this free space.
    orphan_grace_seconds: float = field(
        default_factory=lambda: float(_env("ORPHAN_GRACE_SECONDS", "3600"))
    )
    storage_alert_mb: float = field(default_factory=lambda: float(_env("STORAGE_ALERT_MB", "1024")))
    push_interval_ms: float = field(
        default_factory=lambda: float(_env("PUSH_INTERVAL_MS", str(PUSH_INTERVAL_MS)))
    )
    queue_name: str = field(default_factory=lambda: _env("QUEUE", "hackjudge") or "hackjudge")
    worker_nice: int = field(default_factory=worker_nice)
    default_timezone: str = field(
        default_factory=lambda: _env("TIMEZONE", "Asia/Seoul") or "Asia/Seoul"
    )
    # Redis pub/sub is not scoped by database number: separate deployments need separate channels.
    socketio_channel: str = field(
        default_factory=lambda: _env("SOCKETIO_CHANNEL", "hackjudge") or "hackjudge"
    )
    # Sign-in and sessions (docs/api.md, "Sessions, tokens and sign-in limits").
    # Failed sign-ins allowed per client address, and per account from any address.
    login_limit_ip: str = field(
        default_factory=lambda: _env("LOGIN_LIMIT_IP", "30 per minute; 300 per hour") or ""
    )
    login_limit_account: str = field(
        default_factory=lambda: _env("LOGIN_LIMIT_ACCOUNT", "10 per 15 minutes") or ""
    )
    session_days: float = field(default_factory=lambda: float(_env("SESSION_DAYS", "14")))
    # Served over HTTPS (directly or behind a TLS proxy): cookies then never travel in clear.
    secure_cookies: bool = field(
        default_factory=lambda: (_env("SECURE_COOKIES", "") or "").lower() in ("1", "true", "yes")
    )
    token_days: float = field(default_factory=lambda: default_token_days())
    # Flask-SocketIO async mode; empty means chosen in __post_init__ (see default_async_mode).
    async_mode: str = field(default_factory=lambda: _env("ASYNC_MODE") or "")
    # The live channel under abuse, per web process (docs/api.md, "Live channel"): a hall of ~200
    # viewers behind one NAT, a few tabs each, all reconnecting at once, stays within them.
    live_connections_per_ip: int = field(
        default_factory=lambda: int(_env("LIVE_CONNECTIONS_PER_IP", "1000"))
    )
    live_events_per_second: float = field(
        default_factory=lambda: float(_env("LIVE_EVENTS_PER_SECOND", "2"))
    )
    live_event_burst: int = field(default_factory=lambda: int(_env("LIVE_EVENT_BURST", "10")))
    live_ip_events_per_second: float = field(
        default_factory=lambda: float(_env("LIVE_IP_EVENTS_PER_SECOND", "100"))
    )
    max_push_bytes: int = field(default_factory=max_push_bytes)
    # Reverse proxies in front of the web node (nginx: 1): their X-Forwarded-For then names the
    # client, for the per-address limits; 0 trusts no header (a client could forge it).
    proxy_count: int = field(default_factory=lambda: int(_env("PROXY_COUNT", "0")))

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
            # No X-RateLimit-* headers (two Redis reads per limited request): only a refusal's
            # Retry-After, set by app.extensions.Limiter.
            "RATELIMIT_HEADERS_ENABLED": False,
            # Redis away (issue 12): limits go on per web node in memory, and Redis is tried
            # again with backoff; should even that fail, the request passes unlimited rather
            # than failing (uploads are then accepted, or 503 if the database is away too).
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_SWALLOW_ERRORS": True,
            "WTF_CSRF_TIME_LIMIT": None,
            # A deployment's own limits in a shared Redis (the channel names the deployment).
            "RATELIMIT_KEY_PREFIX": self.socketio_channel,
            # Signed-cookie sessions end after this long without a sign-in (Flask checks the
            # signature's age), as does the remember cookie; both are revoked server-side by
            # the user's session epoch (app.web.auth).
            "PERMANENT_SESSION_LIFETIME": timedelta(days=self.session_days),
            "REMEMBER_COOKIE_DURATION": timedelta(days=self.session_days),
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
        }

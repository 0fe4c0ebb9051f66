"""How ``hackjudge serve`` runs its web server in either async mode (SPEC §10)."""

from __future__ import annotations

import contextlib
import gc
import resource
from typing import Any

from config import gevent_patched

GC_THRESHOLD = 50_000  # allocations between young collections (CPython's default: 700)
# gevent's accept queue: deep enough for every viewer of a node reconnecting at once (a restart).
GEVENT_BACKLOG = 2048


class ServingError(RuntimeError):
    """The server cannot run as configured."""


def raise_open_files_limit() -> int:
    """Lift the soft limit on open files to the hard one (each viewer holds a socket)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


def tune_garbage_collector() -> int:
    """Keep full collections out of a serving process's way; how many objects were frozen.

    A full collection holds the interpreter while it scans every tracked object: ~100 ms for
    what start-up imported (pandas, scikit-learn, SQLAlchemy) plus ~90 µs per open websocket
    (engine.io and simple-websocket objects), so ~400 ms at 4,000 viewers, during which no
    viewer gets anything. bench/fanout.py saw it as nearly all of gevent's p99 at 4,000
    viewers (560-750 ms, 110-150 ms with this tuning), bench/latency.py as the HTTP 202 tail
    (p99 90-160 ms, ~45 ms with it). So the start-up objects, which live as long as the
    process, are frozen out of every scan, and the youngest generation is collected every
    50,000 allocations instead of 700: full collections become rare, while short-lived
    cycles are still freed within seconds of traffic.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    return gc.get_freeze_count()


def server_options(async_mode: str) -> dict[str, Any]:
    """Keyword arguments for ``socketio.run`` in ``async_mode``."""
    options: dict[str, Any] = {"allow_unsafe_werkzeug": True, "log_output": False}
    if async_mode == "gevent":
        if not gevent_patched():
            # Patching has to precede every import: only the console script's launcher does it.
            raise ServingError("async mode gevent needs the `hackjudge` console script")
        options["backlog"] = GEVENT_BACKLOG
        options["handler_class"] = _upgrade_closing_handler()
    return options


def _upgrade_closing_handler() -> type:
    from gevent.pywsgi import WSGIHandler

    class UpgradeClosingHandler(WSGIHandler):
        """pywsgi's handler, ending the connection once a websocket on it is over.

        simple-websocket talks to the socket itself, so pywsgi would go on reading the
        connection as keep-alive HTTP and log any frames sent after the close (the
        python-socketio client sends its goodbye packets after its close frame) as garbage.
        """

        def handle_one_response(self) -> None:
            super().handle_one_response()
            if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                self.close_connection = True

    return UpgradeClosingHandler

"""How ``hackjudge serve`` runs its web server in either async mode (SPEC §10)."""

from __future__ import annotations

import contextlib
import gc
import re
import resource
import socket
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
        options["handler_class"] = _handler_class()
    return options


# A request's head: at most this many header lines of at most this many bytes each (the
# limits of the standard library's http.client, which pywsgi reads headers with).
MAX_HEADER_LINE = 65_536
MAX_HEADERS = 100
# A field name as RFC 9110 §5.1 has it (a token). A field line is that name, a colon at once,
# then the value without the blanks around it, where a CR or a NUL is refused (RFC 9110 §5.5:
# a bare CR is how a request is smuggled past a proxy that reads it as a line's end). Split by
# hand, not by one expression: blanks around an optional value made one backtrack for seconds
# on a line of spaces.
FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def read_head(fp: Any, message_class: type) -> Any:
    """A request's header lines read from ``fp`` into a ``message_class`` (pywsgi's message);
    a line too long, too many lines, or a line that is no field line (a name with a space
    before its colon, a folded line, no colon at all, a CR or a NUL in the value) give an
    empty message whose ``status`` says so (pywsgi answers 400).

    pywsgi hands the head to ``email.parser``, which takes a multipart/form-data head for a
    whole MIME message and compiles a regular expression for its boundary: every upload
    missed the ``re`` cache, ~0.2 ms of a web node's CPU (issue 14). Its header parser, which
    read the head as headers only, still cost ~2.5% of a node's CPU in a rush, and it took a
    line that is no header for the start of a body, dropping every header after it. Each
    line is checked here, and one that does not match is refused, as RFC 9112 §5 would have
    a server do with whitespace before a colon and with a folded line.
    """
    message = message_class()
    for count in range(MAX_HEADERS + 1):
        line = fp.readline(MAX_HEADER_LINE + 1)
        if len(line) > MAX_HEADER_LINE:
            return refused(message_class, "Line too long")
        if line in (b"\r\n", b"\n", b""):
            return message
        if count == MAX_HEADERS:
            break
        field = field_line(line)
        if field is None:
            return refused(message_class, "Invalid header line")
        message[field[0]] = field[1]
    return refused(message_class, "Too many headers")


def field_line(line: bytes) -> tuple[str, str] | None:
    """A header line's name and value, or None if it is no field line."""
    text = line.decode("iso-8859-1").removesuffix("\n").removesuffix("\r")
    name, colon, value = text.partition(":")
    value = value.strip(" \t")
    if not colon or FIELD_NAME.fullmatch(name) is None or "\r" in value or "\x00" in value:
        return None
    return name, value


def refused(message_class: type, why: str) -> Any:
    """An empty message whose ``status`` makes pywsgi answer 400."""
    message = message_class()
    message.status = why
    return message


def _handler_class() -> type:
    from gevent.pywsgi import OldMessage, WSGIHandler

    class Handler(WSGIHandler):
        """pywsgi's handler, with Nagle's algorithm off on its connection, a request's head
        read by ``read_head``, and the connection ended once a websocket on it is over.

        pywsgi writes an answer's head and its body in two sends. With Nagle's algorithm on,
        the body waits for the client to acknowledge the head, which a client holding a
        connection open for its next request delays by up to 40 ms: every answer on a
        kept-alive connection took 40 ms more (44 ms for a small GET, 1.3 ms without).

        simple-websocket talks to the socket itself, so pywsgi would go on reading the
        connection as keep-alive HTTP and log any frames sent after the close (the
        python-socketio client sends its goodbye packets after its close frame) as garbage.
        """

        def handle(self) -> None:
            with contextlib.suppress(OSError):  # not TCP (a Unix socket): nothing to turn off
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle()

        def MessageClass(self, fp: Any, *_args: Any) -> Any:  # noqa: N802 - pywsgi's name
            return read_head(fp, OldMessage)

        def handle_one_response(self) -> None:
            super().handle_one_response()
            if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                self.close_connection = True

    return Handler

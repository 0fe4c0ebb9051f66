"""The live channel's websockets, read no faster than their events are handled.

engine.io serves websockets through simple-websocket, whose reader (a thread, or a greenlet
under gevent) reads its socket into an unbounded list as fast as the client writes. Under a
subscribe flood that reader

- buffers without bound: 4 flooding sockets took a web node from 230 MB to 990 MB;
- under gevent never lets go of the event loop: a socket that always has data waiting
  returns from ``recv`` at once, never blocks, so no other greenlet runs — every request of
  the node waited (4 raw sockets held the public board for over 80 s, ``bench/hostile.py``).

So the reader here stops while ``MAX_PENDING`` messages wait to be handled (the socket's TCP
window then slows the client down: a flood fills its own buffers, not the server's memory),
yields to the other connections after every read, and refuses a message longer than
engine.io's own limit while it arrives, not after it was buffered whole. Each socket's events
are handled one after another (``async_handlers=False`` in ``app.live``), so what is pending
is bounded per socket; the event limits of ``app.live.limits`` then drop a socket that keeps
flooding.
"""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import simple_websocket
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI

MAX_PENDING = 16  # messages read but not yet handled, per socket
CATCH_UP_S = 0.002  # how long the reader waits between looks while its handler catches up
HELD_S = 0.05  # the same for a reader held until its connection is cut
ENVIRON_KEY = "hackjudge.websocket"  # the connection's socket, for handlers to cut it off
log = logging.getLogger(__name__)

Pause = Callable[[float], None]


class PacedWebSocket(simple_websocket.Server):
    """simple-websocket's server side, paced by the consumer of its messages."""

    def __init__(self, environ: dict[str, Any], *, pause: Pause, **options: Any) -> None:
        # Set before the reader starts (in the base class's constructor).
        self.pause = pause
        # Our side is done: the reader stops. Not ``connected``, which the reader itself
        # assigns from each read (``connected = _handle_events()``) and so may set back.
        self.finished = False
        self.held = False  # read nothing more (a dropped client): TCP stops the sender
        # The environ the Socket.IO handlers see as ``request.environ`` for this connection.
        environ[ENVIRON_KEY] = self
        super().__init__(environ, **options)

    def _handle_events(self) -> bool:
        keep_going = super()._handle_events()
        self.pause(0)  # between two reads of a busy socket, the others run
        while keep_going and not self.finished:
            if self.held:
                self.pause(HELD_S)
            elif len(self.input_buffer) >= MAX_PENDING:
                self.pause(CATCH_UP_S)
            else:
                break
        return keep_going and not self.finished

    def hold(self) -> None:
        """Read nothing more, and drop what waits: what is queued to send still goes out."""
        self.held = True
        self.input_buffer.clear()

    def close(self, reason: Any = None, message: Any = None) -> None:
        self.finished = True  # nobody reads the rest: the reader must not wait for them
        super().close(reason, message)

    def abort(self) -> None:
        """Cut the connection at once, dropping what was read and not sent (an abusive
        client): an orderly close would wait for a send queue it never drains."""
        self.finished = True
        self.connected = False
        self.input_buffer.clear()
        with suppress(OSError):
            # Linger 0: the close that follows (by whoever holds the last descriptor) resets
            # the connection, so the client learns at once; after a plain shutdown Linux keeps
            # a zero window and a client that only writes waits for the FIN timeout.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader and a blocked writer
        self.event.set()  # a handler waiting for the next message sees the end


def paced(driver: Any, pause: Pause, max_message_bytes: int) -> type | None:
    """engine.io's websocket adapter ``driver``, building paced sockets; None for another
    kind of adapter (gevent-websocket, eventlet), which is then left as it is."""
    if not (isinstance(driver, type) and issubclass(driver, SimpleWebSocketWSGI)):
        return None

    class Paced(driver):  # type: ignore[misc,valid-type]
        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            # As SimpleWebSocketWSGI.__call__, with the paced socket and a size limit.
            self.ws = PacedWebSocket(
                environ, pause=pause, max_message_size=max_message_bytes, **self.server_args
            )
            answer = self.app(self)
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return answer

    return Paced


def install(engineio_server: Any, pause: Pause) -> bool:
    """Serve this engine.io server's websockets paced; whether it could."""
    drivers = engineio_server._async  # per server: the module's table stays as it is
    replacement = paced(drivers.get("websocket"), pause, engineio_server.max_http_buffer_size)
    if replacement is None:
        log.warning("websocket transport %r left unpaced", drivers.get("websocket"))
        return False
    engineio_server._async = {**drivers, "websocket": replacement}
    return True

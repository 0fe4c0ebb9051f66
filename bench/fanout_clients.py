"""Light Socket.IO viewers for ``bench/fanout.py``: many websocket clients on one asyncio loop.

Each viewer speaks the websocket framing (RFC 6455) and the Engine.IO 4 / Socket.IO 5 text
protocol itself: open → ``40/live,`` → ``subscribe`` with an ack → ``leaderboard`` events,
answering the server's pings. A message is never decoded: its latency is read from the
``sent_ns`` stamp the emitter puts in the payload (``time.monotonic_ns``, one clock for every
process of a machine). The load side shares the machine's cores with the server, so it must
be light or it measures itself: at 1,000 viewers this client spent about 25 µs of CPU per
message received, as much as the server per message sent, where python-socketio's
``AsyncClient`` spent 75 µs and doubled the p99 latency it reported.

The parent drives one process through stdin/stdout, one line each way:

    child  → {"ready": ...}            every viewer subscribed (or failed, or timed out)
    parent → mark                      the burst starts: note the CPU time
    parent → collect MESSAGES SECONDS  wait for MESSAGES per viewer, at most SECONDS
    child  → {"latencies_us": [...], ...} then exit
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import os
import resource
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

NAMESPACE = "/live"
STAMP = b'"sent_ns":'
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final frame, masked as a client must (payloads under 64 KiB)."""
    n = len(payload)
    length = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    mask = os.urandom(4)
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")
    return bytes([0x80 | opcode]) + length + mask + masked


class Tally:
    """What all the viewers of this process received."""

    def __init__(self) -> None:
        self.latencies_us: list[int] = []
        self.complete = 0  # viewers that have every message of the burst
        self.expected = -1
        self.all_complete = asyncio.Event()
        self.viewers = 0

    def received(self, viewer: Viewer) -> None:
        if viewer.count == self.expected:
            self.complete += 1
            if self.complete == self.viewers:
                self.all_complete.set()


class Viewer(asyncio.Protocol):
    """One websocket viewer subscribed to an event's boards."""

    def __init__(self, host: str, event: str, tally: Tally) -> None:
        self.host = host
        self.event = event
        self.tally = tally
        self.buffer = bytearray()
        self.upgraded = False
        self.parts: list[bytes] = []  # a fragmented message (servers here never fragment)
        self.count = 0  # stamped messages received
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {self.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail("connection lost")

    def _fail(self, why: str) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(ConnectionError(why))

    def _send(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.write(client_frame(opcode, payload))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()  # before parsing, so a long read counts from its arrival
        buf = self.buffer
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self._fail(bytes(buf[:end]).decode(errors="replace"))
                return
            del buf[: end + 4]
            self.upgraded = True
        while len(buf) >= 2:  # server frames are not masked
            length, start = buf[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < start + length:
                return  # the rest of the frame is still on its way
            final, opcode = buf[0] & 0x80, buf[0] & 0x0F
            payload = bytes(buf[start : start + length])
            del buf[: start + length]
            self._frame(final, opcode, payload, now)

    def _frame(self, final: int, opcode: int, payload: bytes, now: int) -> None:
        if opcode == PING:
            self._send(PONG, payload)
        elif opcode == CLOSE:
            self._fail("websocket closed")
        elif opcode == TEXT or (opcode == 0 and self.parts):
            self.parts.append(payload)
            if final:
                text = b"".join(self.parts)
                self.parts.clear()
                self._packet(text, now)

    def _packet(self, text: bytes, now: int) -> None:
        kind = text[:1]
        if kind == b"4":  # Engine.IO message carrying a Socket.IO packet
            self._socketio(text[1:], now)
        elif kind == b"2":  # Engine.IO ping: answer, or the server drops us
            self._send(TEXT, b"3")
        elif kind == b"0":  # Engine.IO open: join the namespace
            self._send(TEXT, f"40{NAMESPACE},".encode())
        elif kind == b"1":
            self._fail("closed by the server")

    def _socketio(self, text: bytes, now: int) -> None:
        if text.startswith(b"2"):  # EVENT
            at = text.find(STAMP)
            if at >= 0:  # the bench's messages, not the current board sent on subscribe
                start = end = at + len(STAMP)
                while 48 <= text[end] <= 57:  # ASCII digits
                    end += 1
                self.tally.latencies_us.append((now - int(text[start:end])) // 1000)
                self.count += 1
                self.tally.received(self)
        elif text.startswith(f"0{NAMESPACE},".encode()):  # joined: subscribe with ack id 1
            subscribe = json.dumps(["subscribe", {"event": self.event}])
            self._send(TEXT, f"42{NAMESPACE},1{subscribe}".encode())
        elif text.startswith(f"3{NAMESPACE},1".encode()):  # the subscribe ack
            if not self.subscribed.done():
                self.subscribed.set_result(None)
        elif text.startswith(f"4{NAMESPACE},".encode()):
            self._fail("refused: " + text.decode(errors="replace"))


async def connect_all(
    url: str, event: str, count: int, parallel: int, timeout: float, tally: Tally
) -> tuple[list[Viewer], Counter[str]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(parallel)  # a bounded number of handshakes in flight
    viewers: list[Viewer] = []
    errors: Counter[str] = Counter()

    async def one() -> None:
        async with gate:
            try:
                _, viewer = await asyncio.wait_for(
                    loop.create_connection(
                        lambda: Viewer(f"{host}:{port}", event, tally), host, port
                    ),
                    timeout,
                )
                await asyncio.wait_for(viewer.subscribed, timeout)
                viewers.append(viewer)
            except (OSError, TimeoutError, ConnectionError) as error:
                errors[type(error).__name__ + ": " + str(error)[:80]] += 1

    await asyncio.gather(*(one() for _ in range(count)))
    tally.viewers = len(viewers)
    return viewers, errors


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def run(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def read_stdin() -> None:  # a thread: the loop has other things to do
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, "eof")

    threading.Thread(target=read_stdin, daemon=True).start()
    tally = Tally()
    started = time.monotonic()
    viewers, errors = await connect_all(
        args.url, args.event, args.count, args.parallel, args.connect_timeout, tally
    )
    say(
        {
            "ready": len(viewers),
            "failed": sum(errors.values()),
            "errors": dict(errors.most_common(5)),
            "connect_s": time.monotonic() - started,
        }
    )
    # A full collection over thousands of viewers stalls every one of them: the measuring side
    # would add its own pauses to the server's latency. What the burst allocates is small.
    gc.freeze()
    gc.disable()
    marked_cpu, marked_at = cpu_seconds(), time.monotonic()
    while True:
        command = (await commands.get()).split()
        if not command or command[0] == "eof":
            return
        if command[0] == "mark":
            marked_cpu, marked_at = cpu_seconds(), time.monotonic()
        elif command[0] == "collect":
            tally.expected = int(command[1])
            for viewer in viewers:  # in case some already had them all
                if viewer.count >= tally.expected:
                    tally.complete += 1
            if tally.complete < len(viewers):
                with contextlib.suppress(TimeoutError):  # report what arrived by then
                    await asyncio.wait_for(tally.all_complete.wait(), float(command[2]))
            say(
                {
                    "latencies_us": tally.latencies_us,
                    "complete_viewers": tally.complete,
                    "viewers": len(viewers),
                    "cpu_s": cpu_seconds() - marked_cpu,
                    "wall_s": time.monotonic() - marked_at,
                }
            )
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--event", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--parallel", type=int, default=50, help="handshakes in flight")
    parser.add_argument("--connect-timeout", type=float, default=60)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # one socket per viewer
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

"""Attack clients for ``bench/hostile.py``; each runs in a process of its own.

Each builds what it sends, prints ``{"ready": true}``, waits for a line on stdin, attacks for
``--seconds`` and prints one JSON line: what it sent and how the server answered.

    header   uploads of a 64 KB header of 32,000 duplicate column names, ``--workers`` in a loop
    flood    ``--sockets`` websockets sending ``subscribe`` as fast as TCP takes them, raw frames
             (python-socketio's client would spend more CPU than the server it measures),
             reconnecting when dropped, as an attacker would
    login    ``--workers`` anonymous clients posting wrong passwords with a fresh CSRF token
    long-id  uploads of a gzip whose one unknown id is ``--id-mb`` MB long, one at the start per
             token, then one every ``--every`` seconds
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import io
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fanout_clients import CLOSE, PING, PONG, TEXT, client_frame  # noqa: E402

NS = "/live"
PATHOLOGICAL_COLUMNS = 32_000
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def pathological_header() -> bytes:
    """64 KB: ``id,target`` and 32,000 columns all named ``x`` (pandas mangles them in O(n²))."""
    return (",".join(["id", "target"] + ["x"] * PATHOLOGICAL_COLUMNS) + "\n").encode()


def long_id_gzip(ids: list[str], id_mb: int) -> bytes:
    """Every id once, then one unknown id ``id_mb`` MB long: ~100 KB gzipped for 100 MB."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        gz.write(b"id,target\n" + "".join(f"{i},0.5\n" for i in ids).encode())
        chunk = b"9" * (1 << 20)
        for _ in range(id_mb):
            gz.write(chunk)
        gz.write(b",0.5\n")
    return out.getvalue()


class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.lock = threading.Lock()

    def add(self, key: str, latency: float | None = None) -> None:
        with self.lock:
            self.counts[key] += 1
            if latency is not None:
                self.latencies.append(latency)

    def summary(self) -> dict:
        ordered = sorted(self.latencies)
        middle = ordered[len(ordered) // 2] if ordered else None
        return {
            "counts": dict(self.counts),
            "median_s": middle,
            "max_s": max(ordered, default=None),
        }


def in_threads(workers: int, seconds: float, loop: Callable[[int, float], None]) -> None:
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=loop, args=(i, deadline)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def upload(url: str, event: str, task: str, token: str, name: str, body: bytes) -> tuple:
    t0 = time.perf_counter()
    reply = requests.post(
        f"{url}/api/v1/events/{event}/tasks/{task}/submissions",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": (name, body, "application/octet-stream")},
        timeout=120,
    )
    return reply, time.perf_counter() - t0


def header_attack(args: argparse.Namespace, tally: Tally) -> None:
    body, tokens = pathological_header(), args.tokens.split(",")

    def loop(i: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            token = tokens[i % len(tokens)]
            try:
                reply, took = upload(args.url, args.event, args.task, token, "wide.csv", body)
                tally.add(str(reply.status_code), took)
            except requests.RequestException as error:
                tally.add(type(error).__name__)

    go(args)
    in_threads(args.workers, args.seconds, loop)


def login_attack(args: argparse.Namespace, tally: Tally) -> None:
    emails = args.emails.split(",")

    def csrf(session: requests.Session) -> str:
        match = CSRF.search(session.get(f"{args.url}/login", timeout=60).text)
        return (match.group(1) or match.group(2)) if match else ""

    def loop(i: int, deadline: float) -> None:
        session = requests.Session()
        token, n = csrf(session), i
        while time.monotonic() < deadline:
            n += args.workers
            t0 = time.perf_counter()
            try:
                reply = session.post(
                    f"{args.url}/login",
                    data={"csrf_token": token, "email": emails[n % len(emails)], "password": "x"},
                    allow_redirects=False,
                    timeout=60,
                )
            except requests.RequestException as error:
                tally.add(type(error).__name__)
                continue
            tally.add(str(reply.status_code), time.perf_counter() - t0)
            if reply.status_code == 400:
                token = csrf(session)  # expired or refused token: fetch the form again

    go(args)
    in_threads(args.workers, args.seconds, loop)


def long_id_attack(args: argparse.Namespace, tally: Tally) -> None:
    body = long_id_gzip(Path(args.ids_file).read_text().split(), args.id_mb)
    tally.counts["gzip_bytes"] = len(body)
    tokens = args.tokens.split(",")
    go(args)
    deadline = time.monotonic() + args.seconds
    sent = 0
    while time.monotonic() < deadline:
        # One per token at once (a worker each), then one every --every seconds.
        for token in tokens if sent == 0 else [tokens[sent % len(tokens)]]:
            reply, took = upload(args.url, args.event, args.task, token, "p.csv.gz", body)
            tally.add(str(reply.status_code), took)
            sent += 1
        time.sleep(max(0.0, min(args.every, deadline - time.monotonic())))


# --- the websocket flood ----------------------------------------------------------------------


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readexactly(2)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return head[0] & 0x0F, await reader.readexactly(length)


async def joined(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> bool:
    """Websocket upgrade, Engine.IO open, ``/live`` joined: whether the server let us in."""
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    if not (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101"):
        return False
    await read_frame(reader)  # Engine.IO open
    writer.write(client_frame(TEXT, f"40{NS},".encode()))
    while True:
        opcode, payload = await read_frame(reader)
        if opcode == CLOSE or payload.startswith(f"44{NS},".encode()):
            return False
        if payload.startswith(f"40{NS},".encode()):
            return True


async def drain_answers(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tally: Tally
) -> None:
    """Count what comes back, answer pings, until the server drops the socket."""
    ack, board, gone = f"43{NS},".encode(), f'42{NS},["leaderboard"'.encode(), f"41{NS},".encode()
    while True:
        opcode, payload = await read_frame(reader)
        if opcode == PING:
            writer.write(client_frame(PONG, payload))
        elif opcode == CLOSE or payload.startswith(gone) or payload == b"1":
            return
        elif payload == b"2":
            writer.write(client_frame(TEXT, b"3"))
        elif payload.startswith(ack):
            tally.add("ack_limited" if b"rate_limited" in payload else "ack_ok")
        elif payload.startswith(board):
            tally.add("boards_received")
            tally.counts["board_bytes"] += len(payload)


async def flood_socket(args: argparse.Namespace, deadline: float, tally: Tally) -> None:
    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    message = json.dumps(["subscribe", {"event": args.event}]).encode()
    batch = client_frame(TEXT, f"42{NS},1".encode() + message) * 32
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(host, port, limit=1 << 24)
        except OSError:
            tally.add("connect_error")
            await asyncio.sleep(0.01)
            continue
        try:
            if not await asyncio.wait_for(joined(reader, writer, f"{host}:{port}"), 10):
                tally.add("join_refused")
                continue
            tally.add("joined")
            answers = asyncio.create_task(drain_answers(reader, writer, tally))
            while not answers.done() and (left := deadline - time.monotonic()) > 0:
                writer.write(batch)
                tally.counts["subscribes_sent"] += 32
                # As fast as the server reads; a server that stops reading holds us here.
                await asyncio.wait_for(writer.drain(), left)
            if answers.done():
                tally.add("dropped_by_server")
            answers.cancel()
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            tally.add("connection_lost")
        finally:
            writer.close()


def flood_attack(args: argparse.Namespace, tally: Tally) -> None:
    go(args)
    deadline = time.monotonic() + args.seconds

    async def run() -> None:
        await asyncio.gather(*(flood_socket(args, deadline, tally) for _ in range(args.sockets)))

    asyncio.run(run())


ATTACKS = {
    "header": header_attack,
    "flood": flood_attack,
    "login": login_attack,
    "long-id": long_id_attack,
}


def go(args: argparse.Namespace) -> None:
    """Ready: wait for the measuring process to start its clock."""
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("attack", choices=sorted(ATTACKS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--event", default="")
    parser.add_argument("--task", default="")
    parser.add_argument("--tokens", default="")
    parser.add_argument("--emails", default="")
    parser.add_argument("--ids-file", default="")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sockets", type=int, default=4)
    parser.add_argument("--id-mb", type=int, default=100)
    parser.add_argument("--every", type=float, default=5)
    args = parser.parse_args()
    tally = Tally()
    ATTACKS[args.attack](args, tally)
    print(json.dumps(tally.summary()), flush=True)


if __name__ == "__main__":
    main()

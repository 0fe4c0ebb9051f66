"""Fan-out: one board change to N websocket viewers, against a bare server's floor (SPEC §11).

For each async mode and viewer count, two servers are measured in turn on this machine:

- ``hackjudge``: a real ``hackjudge serve`` in production mode (PostgreSQL database made for
  the run, Redis), a seeded event; viewers connect to ``/live`` and ``subscribe`` to it.
- ``floor``: ``bench/fanout_floor.py``, a bare Flask-SocketIO server on the same web server
  and Redis queue whose ``subscribe`` only joins the room.

The viewers (``bench/fanout_clients.py``: raw websocket clients, many per asyncio loop) are
spread over ``--client-procs`` processes so the client side is not the bottleneck. This
process is the emitter, as a worker is: ``flask_socketio.SocketIO`` on the server's Redis
channel sends a burst of ``--messages`` ``leaderboard`` payloads of ``--payload-bytes`` to the
event's public room, ``--interval-ms`` apart, each stamped with ``time.monotonic_ns()``.

Reported per case: delivery latency p50/p99/max, the share of (viewers × messages)
delivered, the server's resident memory per viewer (VmRSS after connecting minus before,
over the viewers) and its CPU time during the burst, and hackjudge's p99 over the floor's.

    python bench/fanout.py                 # 100, 1000, 4000 viewers; threading and gevent
    python bench/fanout.py --quick         # 100 and 1000 viewers
    python bench/fanout.py --viewers 4000 --modes gevent --messages 40
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis
import requests
from flask_socketio import SocketIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    PG_URL,
    REDIS_URL,
    Proc,
    free_port,
    percentiles,  # noqa: E402
    seed_event,
    start_server,
    wait_for,
)
from core.db import Database  # noqa: E402
from migrations import upgrade  # noqa: E402
from scoreboard.publish import NAMESPACE, public_room  # noqa: E402

CLIENTS = ROOT / "bench" / "fanout_clients.py"
FLOOR = ROOT / "bench" / "fanout_floor.py"
RESULTS = ROOT / "bench" / "results" / "fanout.json"


@dataclass
class Options:
    messages: int
    interval_ms: float
    payload_bytes: int
    client_procs: int
    connect_timeout: float
    drain_timeout: float


def proc_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def proc_cpu_s(pid: int) -> float:
    # Fields after the command name; utime and stime are fields 14 and 15 of proc(5).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def board_payload(event: str, size: int) -> dict[str, Any]:
    """A public board of about ``size`` bytes of JSON, shaped as the server sends it."""
    payload: dict[str, Any] = {
        "event": event,
        "task": "t1",
        "board": "public",
        "version": 1,
        "frozen": False,
        "rows": [],
    }
    while len(json.dumps(payload)) < size - 40:  # the stamps added per message
        n = len(payload["rows"]) + 1
        payload["rows"].append(
            {
                "rank": n,
                "team": f"team-{n:03d}",
                "score": round(1 - n / 1000, 6),
                "submissions": n % 20 + 1,
                "last_submission_at": "2026-12-06T16:59:58+09:00",
            }
        )
    return payload


class ClientProcess:
    """One ``fanout_clients.py`` process, its output lines read by a thread into a queue."""

    def __init__(self, url: str, event: str, count: int, options: Options) -> None:
        self.popen = subprocess.Popen(
            [
                sys.executable,
                str(CLIENTS),
                f"--url={url}",
                f"--event={event}",
                f"--count={count}",
                f"--connect-timeout={options.connect_timeout}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line)
        self.lines.put("")  # end of output

    def answer(self, timeout: float) -> dict[str, Any]:
        line = self.lines.get(timeout=timeout)
        if not line:
            raise RuntimeError(f"client process exited ({self.popen.wait()})")
        return json.loads(line)

    def tell(self, command: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(command + "\n")
        self.popen.stdin.flush()

    def stop(self) -> None:
        Proc(self.popen, Path(os.devnull)).stop()  # its whole process group


def start_floor(mode: str, channel: str, log: Path) -> Proc:
    port = free_port()
    handle = log.open("wb")
    popen = subprocess.Popen(
        [sys.executable, str(FLOOR), f"--mode={mode}", f"--port={port}"]
        + [f"--redis={REDIS_URL}", f"--channel={channel}"],
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc = Proc(popen, log, f"http://127.0.0.1:{port}")

    def up() -> bool:
        if popen.poll() is not None:
            raise RuntimeError(f"floor server exited:\n{proc.output()}")
        with contextlib.suppress(requests.ConnectionError):
            return requests.get(f"{proc.url}/socket.io/?EIO=4&transport=polling", timeout=2).ok
        return False

    wait_for(up, 30, "the floor server to answer")
    return proc


def run_case(
    server: Proc, channel: str, event: str, viewers: int, options: Options
) -> dict[str, Any]:
    """Connect ``viewers``, emit the burst, gather what they received."""
    pid = server.popen.pid
    rss_before = proc_rss_kb(pid)
    share = [
        viewers // options.client_procs + (i < viewers % options.client_procs)
        for i in range(options.client_procs)
    ]
    clients = [ClientProcess(server.url, event, n, options) for n in share if n]
    try:
        ready = [c.answer(options.connect_timeout + 30) for c in clients]
        connected = sum(r["ready"] for r in ready)
        rss_after = proc_rss_kb(pid)
        # The server listens on the channel once a client connected; emits before are lost.
        queue_client = redis.Redis.from_url(REDIS_URL)
        wait_for(lambda: queue_client.pubsub_numsub(channel)[0][1] >= 1, 10, "the subscription")
        emitter = SocketIO(message_queue=REDIS_URL, channel=channel, async_mode="threading")
        payload = board_payload(event, options.payload_bytes)
        room = public_room(event)
        emitter.emit("leaderboard", payload, namespace=NAMESPACE, to=room)  # warm-up, unstamped
        time.sleep(0.5)
        for client in clients:
            client.tell("mark")
        cpu_before = proc_cpu_s(pid)
        start = time.perf_counter()
        for seq in range(options.messages):
            delay = start + seq * options.interval_ms / 1000 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            stamped = {**payload, "version": seq + 2, "sent_ns": time.monotonic_ns()}
            emitter.emit("leaderboard", stamped, namespace=NAMESPACE, to=room)
        for client in clients:
            client.tell(f"collect {options.messages} {options.drain_timeout}")
        results = [c.answer(options.drain_timeout + 30) for c in clients]
        cpu_burst = proc_cpu_s(pid) - cpu_before
    finally:
        for client in clients:
            client.stop()
    latencies_ms = [us / 1000 for r in results for us in r["latencies_us"]]
    stats = percentiles(latencies_ms) if latencies_ms else {}
    return {
        "viewers": viewers,
        "connected": connected,
        "connect_errors": [r["errors"] for r in ready if r["errors"]],
        "connect_s": max(r["connect_s"] for r in ready),
        "latency_ms": stats,
        "delivered_pct": 100 * len(latencies_ms) / (viewers * options.messages),
        "rss_before_mb": rss_before / 1024,
        "rss_after_mb": rss_after / 1024,
        "rss_kb_per_viewer": (rss_after - rss_before) / max(connected, 1),
        "server_cpu_s": cpu_burst,
        # Near 100 %, a client process was saturated and measured itself.
        "client_cpu_pct": max(100 * r["cpu_s"] / r["wall_s"] for r in results),
        "client_cpu_s": sum(r["cpu_s"] for r in results),
    }


def hackjudge_env(db_url: str, tmp: Path, channel: str, mode: str) -> dict[str, str]:
    return {
        "HACKJUDGE_DATABASE_URL": db_url,
        "HACKJUDGE_REDIS_URL": REDIS_URL,
        "HACKJUDGE_INSTANCE_DIR": str(tmp / "instance"),
        "HACKJUDGE_STORAGE_DIR": str(tmp / "storage"),
        "HACKJUDGE_QUEUE": channel,
        "HACKJUDGE_SOCKETIO_CHANNEL": channel,
        "HACKJUDGE_SECRET_KEY": "bench",
        "HACKJUDGE_ASYNC_MODE": mode,
    }


def ms(stats: dict[str, float], key: str) -> str:
    return f"{stats[key]:.1f}" if key in stats else "—"


def table(cases: list[dict[str, Any]]) -> str:
    floors = {(c["mode"], c["viewers"]): c for c in cases if c["server"] == "floor"}
    lines = [
        "| server | async mode | viewers | connected | p50 ms | p99 ms | max ms | delivered "
        "| server KB/viewer | server CPU s | client CPU | p99 / floor p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cases:
        if "error" in c:
            lines.append(f"| {c['server']} | {c['mode']} | {c['viewers']} | {c['error']} |")
            continue
        stats, floor = c["latency_ms"], floors.get((c["mode"], c["viewers"]))
        ratio = "—"
        if c["server"] != "floor" and floor and "p99" in floor.get("latency_ms", {}):
            ratio = f"{stats['p99'] / floor['latency_ms']['p99']:.2f}"
        lines.append(
            f"| {c['server']} | {c['mode']} | {c['viewers']:,} | {c['connected']:,} "
            f"| {ms(stats, 'p50')} | {ms(stats, 'p99')} | {ms(stats, 'max')} "
            f"| {c['delivered_pct']:.2f} % | {c['rss_kb_per_viewer']:.0f} "
            f"| {c['server_cpu_s']:.2f} | {c['client_cpu_pct']:.0f} % | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--viewers", default="100,1000,4000", help="comma-separated counts")
    parser.add_argument("--modes", default="threading,gevent", help="async modes to compare")
    parser.add_argument("--servers", default="floor,hackjudge")
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 viewers only")
    parser.add_argument("--messages", type=int, default=40, help="board changes in the burst")
    parser.add_argument("--interval-ms", type=float, default=200)
    parser.add_argument("--payload-bytes", type=int, default=5000)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--connect-timeout", type=float, default=90, help="per case, seconds")
    parser.add_argument("--drain-timeout", type=float, default=20, help="after the last emit")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()
    sizes = [100, 1000] if args.quick else [int(n) for n in args.viewers.split(",")]
    modes, servers = args.modes.split(","), args.servers.split(",")
    options = Options(
        args.messages,
        args.interval_ms,
        args.payload_bytes,
        args.client_procs,
        args.connect_timeout,
        args.drain_timeout,
    )

    tmp = Path(tempfile.mkdtemp(prefix="hackjudge-fanout-"))
    name = f"hackjudge_fanout_{os.getpid()}"
    db_url = PG_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    cases: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        upgrade(db_url)
        database = Database()
        database.configure(db_url)
        event = seed_event(database, tmp / "storage", tmp, teams=3, rows=200).event
        assert database.engine is not None
        database.engine.dispose()
        for viewers in sizes:
            for mode in modes:
                for kind in servers:
                    channel = f"fanout-{os.getpid()}-{len(cases)}"
                    log = tmp / f"{kind}-{mode}-{viewers}.log"
                    print(f"{kind:9} {mode:9} {viewers:5} viewers ...", end=" ", flush=True)
                    server = None
                    case: dict[str, Any] = {"server": kind, "mode": mode, "viewers": viewers}
                    try:
                        if kind == "floor":
                            server = start_floor(mode, channel, log)
                        else:
                            env = hackjudge_env(db_url, tmp, channel, mode)
                            server = start_server(env, log, free_port())
                        case.update(run_case(server, channel, event, viewers, options))
                        stats = case["latency_ms"]
                        print(
                            f"p50 {ms(stats, 'p50')} ms, p99 {ms(stats, 'p99')} ms, "
                            f"delivered {case['delivered_pct']:.2f} %"
                        )
                    except (RuntimeError, AssertionError, queue.Empty, OSError) as error:
                        case["error"] = f"{type(error).__name__}: {error}"[:200]
                        print(case["error"])
                    finally:
                        if server is not None:
                            server.stop()
                    cases.append(case)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if any("error" in case for case in cases):
            print(f"server logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "machine": {"cpus": os.cpu_count()},
        "messages": args.messages,
        "interval_ms": args.interval_ms,
        "payload_bytes": len(json.dumps(board_payload("test-event", args.payload_bytes))),
        "client_procs": args.client_procs,
        "duration_s": time.monotonic() - started,
        "cases": cases,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print()
    print(
        f"{args.messages} messages of {report['payload_bytes']:,} bytes, "
        f"{args.interval_ms:.0f} ms apart, {args.client_procs} client processes, "
        f"{report['duration_s']:.0f} s in all"
    )
    print(table(cases))


if __name__ == "__main__":
    main()

"""The deadline rush's load (``bench/rush.py``): the files the teams send and when, and the
driver that sends them on schedule to one system and waits until it has finished them."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import redis
import requests
import socketio

from bench._rush_figures import cpu_seconds
from bench._support import Proc, wait_for


@dataclass
class Load:
    """What the teams send: ``files[j]`` by ``teams_of[j]`` at ``at[j]`` seconds."""

    at: list[float]
    teams_of: list[str]
    files: list[bytes]


def make_load(truth: pd.DataFrame, teams: list[str], files: int, seconds: float, seed: int) -> Load:
    """``files`` distinct files over ``teams``, arrivals uniform over ``seconds``; each team's
    later files score better than its earlier ones."""
    rng = np.random.default_rng(seed)
    owners = [teams[i % len(teams)] for i in range(files)]
    rng.shuffle(owners)
    at = sorted(float(t) for t in rng.uniform(0, seconds, files))
    target = truth["target"].to_numpy(dtype=float)
    noise = {team: rng.normal(0, 1, len(truth)) for team in teams}
    nth: dict[str, int] = {}
    bodies = []
    for team in owners:
        k = nth[team] = nth.get(team, 0) + 1
        signal = 0.25 * k + 0.01 * teams.index(team) / len(teams)
        pred = np.round(target * signal + noise[team], 6)
        bodies.append(
            pd.DataFrame({"id": truth["id"], "target": pred}).to_csv(index=False).encode()
        )
    return Load(at, owners, bodies)


@dataclass
class System:
    """One system under load: how to start it, send a file and see its pushes."""

    name: str
    web: list[Proc]
    workers: list[Proc]
    queue_key: str
    send: Callable[[requests.Session, int, int], requests.Response]
    finished: Callable[[], int]
    pushes: list[tuple[float, Any]] = field(default_factory=list)
    # Nothing left over from the warm-up (the platform's deferred intervals).
    quiet: Callable[[], bool] = lambda: True


def warm_up(system: System, warm: Load) -> None:
    """A few files from teams outside the load, scored before the clock starts: both systems
    run warm (libraries loaded, the truth cached, statements prepared), as in an event."""
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(
                lambda j: system.send(requests.Session(), j, j % len(system.web)),
                range(len(warm.files)),
            )
        )
    assert all(r.status_code == 202 for r in replies), [r.text[:200] for r in replies]
    wait_for(lambda: system.finished() >= len(warm.files) and system.quiet(), 120, "the warm-up")


def drive(
    system: System,
    load: Load,
    redis_conn: redis.Redis,
    drain_s: float,
    database: str | None = None,
) -> dict[str, Any]:
    """Send the load on schedule; wait until every accepted file is finished (``database``:
    the system's, whose backends' CPU is counted apart)."""
    before = system.finished()
    sessions = threading.local()
    sent = [0.0] * len(load.files)
    took: list[float | None] = [None] * len(load.files)
    replies: list[Any] = [None] * len(load.files)
    depth: list[tuple[float, int]] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            with contextlib.suppress(redis.RedisError):
                depth.append((time.perf_counter(), int(redis_conn.llen(system.queue_key))))
            sampling.wait(0.25)

    def send(j: int) -> None:
        session = getattr(sessions, "s", None) or requests.Session()
        sessions.s = session
        t0 = time.perf_counter()
        sent[j] = t0
        try:
            reply = system.send(session, j, j % len(system.web))
        except requests.RequestException as exc:
            replies[j] = f"error {exc}"
            return
        took[j] = time.perf_counter() - t0
        replies[j] = (
            reply.json() if reply.status_code == 202 else f"{reply.status_code} {reply.text[:200]}"
        )

    groups = {
        "web": [p.popen.pid for p in system.web],
        "workers": [p.popen.pid for p in system.workers],
    }
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = cpu_seconds(groups, database)
    start = time.perf_counter()
    started_utc = datetime.now(UTC).isoformat(timespec="milliseconds")
    with ThreadPoolExecutor(48) as pool:
        for j, at in enumerate(load.at):
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, j)
    accepted = [j for j, r in enumerate(replies) if isinstance(r, dict)]
    deadline = time.monotonic() + drain_s
    while system.finished() - before < len(accepted) and time.monotonic() < deadline:
        time.sleep(0.1)
    ended = time.perf_counter()
    time.sleep(1.0)  # the last coalesced pushes
    cpu_after = cpu_seconds(groups, database)
    sampling.set()
    sampler.join()
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    per_5s: dict[int, int] = {}
    for moment, n in depth:
        slot = int((moment - start) // 5) * 5
        per_5s[slot] = max(per_5s.get(slot, 0), n)
    return {
        "sent": sent,
        "took": took,
        "replies": replies,
        "accepted": accepted,
        "refused": [r for r in replies if not isinstance(r, dict)][:5],
        "finished": system.finished() - before,
        # Messages the viewer got from the clock's start to the end of the drain (the platform's
        # boards; the floor's one small message a score): what each web node relays.
        "boards_pushed": sum(1 for moment, _ in system.pushes if moment >= start),
        "drain_s": ended - start,
        "start": start,
        "started_utc": started_utc,
        "cpu_s": cpu,
        "queue_max": max((n for _, n in depth), default=0),
        "queue_per_5s": per_5s,
    }


def viewer(url: str, namespace: str, subscribe: dict | None, sink: list) -> socketio.Client:
    """A websocket viewer that timestamps every ``leaderboard`` push."""
    client = socketio.Client(reconnection=False)
    client.on(
        "leaderboard",
        lambda data: sink.append((time.perf_counter(), data)),
        namespace=namespace,
    )
    client.connect(url, namespaces=[namespace], transports=["websocket"])
    if subscribe is not None:
        client.call("subscribe", subscribe, namespace=namespace, timeout=10)
    return client

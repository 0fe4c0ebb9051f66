"""Limits on the live channel: sockets per address, events per socket and per address.

Token buckets kept per web process, in memory: the check runs on every socket event, so a
round trip to Redis would itself be the load it guards against. With several web nodes the
load balancer's sticky sessions (``ip_hash``, docs/deploy.md) send one address to one node, so a
node's buckets are in effect the address's.

Defaults (``config.Settings``, docs/api.md "Live channel"), sized for a hall of ~200 viewers behind
one NAT, each with two or three tabs (board, team page, projector):

- 1,000 sockets per address: 200 × 2–3 tabs, doubled because after a Wi-Fi drop a dead
  socket stays counted until its ping times out (~25 s) while its tab has reconnected;
- per socket, 2 events a second with a burst of 10: a page subscribes once per (re)connect;
- per address, 100 events a second with a burst of two per allowed socket: the whole hall
  reconnecting at once (one connect and one subscribe each) passes;
- a socket whose events keep being refused (more than twice the burst, refilled at the
  socket's rate) is disconnected, and its address pays five bursts (50 events) for it: an
  address that reconnects to flood again is soon held to a reconnect a second or so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from config import Settings

PRUNE_EVERY = 256  # admissions between sweeps of idle addresses


@dataclass
class TokenBucket:
    rate: float  # tokens a second
    capacity: float
    tokens: float
    stamp: float

    @classmethod
    def full(cls, rate: float, capacity: float, now: float) -> TokenBucket:
        return cls(rate, capacity, capacity, now)

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, now: float) -> float:
        """Take a token: 0.0 when granted, else the seconds until one is due."""
        self.refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass(frozen=True)
class Quotas:
    connections_per_ip: int
    events_per_second: float
    event_burst: int
    ip_events_per_second: float

    @classmethod
    def of(cls, settings: Settings) -> Quotas:
        return cls(
            settings.live_connections_per_ip,
            settings.live_events_per_second,
            settings.live_event_burst,
            settings.live_ip_events_per_second,
        )

    @property
    def ip_burst(self) -> int:
        # Every socket an address may hold connects and subscribes again at once.
        return 2 * self.connections_per_ip

    @property
    def strikes(self) -> int:
        return 2 * self.event_burst

    @property
    def drop_penalty(self) -> int:
        # What a dropped socket costs its address, on top of what it spent.
        return 5 * self.event_burst


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0
    drop: bool = False  # the socket keeps sending past its refusals: disconnect it


@dataclass
class _Address:
    bucket: TokenBucket
    sockets: int = 0


@dataclass
class _Socket:
    address: str
    bucket: TokenBucket
    refusals: TokenBucket  # empties when refused events keep coming: the socket is dropped


class LiveLimits:
    """Admission of sockets and of their events; thread- and greenlet-safe."""

    def __init__(self, quotas: Quotas, clock: Callable[[], float] = time.monotonic) -> None:
        self.quotas = quotas
        self.clock = clock
        self._lock = threading.Lock()
        self._addresses: dict[str, _Address] = {}
        self._sockets: dict[str, _Socket] = {}
        self._admitted = 0

    def admit(self, sid: str, address: str) -> str | None:
        """Count a new socket of ``address``; the reason it is refused, or None (also when
        ``sid`` was admitted already: admitting twice counts once)."""
        q = self.quotas
        with self._lock:
            if sid in self._sockets:
                return None
            now = self.clock()
            self._admitted += 1
            if self._admitted % PRUNE_EVERY == 0:
                self._prune(now)
            place = self._addresses.get(address)
            if place is None:
                place = _Address(TokenBucket.full(q.ip_events_per_second, q.ip_burst, now))
                self._addresses[address] = place
            if place.sockets >= q.connections_per_ip:
                return "too many connections from your address"
            if place.bucket.take(now) > 0:
                return "too many requests from your address: try again shortly"
            place.sockets += 1
            self._sockets[sid] = _Socket(
                address,
                TokenBucket.full(q.events_per_second, q.event_burst, now),
                TokenBucket.full(q.events_per_second, q.strikes, now),
            )
            return None

    def release(self, sid: str) -> None:
        with self._lock:
            socket = self._sockets.pop(sid, None)
            if socket is not None:
                self._addresses[socket.address].sockets -= 1

    def event(self, sid: str) -> Verdict:
        """May this socket's event be served now? Refused events count towards a drop."""
        with self._lock:
            socket = self._sockets.get(sid)
            if socket is None:
                return Verdict(False, drop=True)  # not admitted (or already released)
            now = self.clock()
            wait = socket.bucket.take(now)
            if wait == 0:
                # Only events a socket may send draw on its address: one flooding socket
                # cannot starve its neighbours behind the same NAT.
                wait = self._addresses[socket.address].bucket.take(now)
                if wait == 0:
                    return Verdict(True)
                socket.bucket.tokens += 1  # not served: the socket keeps its token
            drop = socket.refusals.take(now) > 0
            if drop:
                # May go below zero: the address waits until the penalty is paid.
                self._addresses[socket.address].bucket.tokens -= self.quotas.drop_penalty
            return Verdict(False, wait, drop=drop)

    def _prune(self, now: float) -> None:
        """Forget addresses with no socket whose bucket is full again (nothing to remember)."""
        for address, place in list(self._addresses.items()):
            if place.sockets == 0:
                place.bucket.refill(now)
                if place.bucket.tokens >= place.bucket.capacity:
                    del self._addresses[address]

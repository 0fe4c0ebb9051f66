"""The live channel's limits as rules (``app.live.limits``), on a clock the test moves.

The defaults must let a hall of ~200 viewers behind one NAT reconnect at once, while one
socket that floods is refused, then dropped, and its address pays for it.
"""

from __future__ import annotations

from app.live.limits import LiveLimits, Quotas
from config import Settings

HALL = "203.0.113.1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def defaults() -> Quotas:
    return Quotas.of(Settings(database_url="sqlite://", secret_key="x"))


def test_a_hall_behind_one_nat_reconnects_and_subscribes_at_once() -> None:
    limits = LiveLimits(defaults(), Clock())
    # 200 viewers with a board and a team page each; after a Wi-Fi drop the dead sockets are
    # still counted (until their ping times out) while every tab connects again.
    for n in range(800):
        assert limits.admit(f"s{n}", HALL) is None, n
    assert all(limits.event(f"s{n}").allowed for n in range(400, 800))


def test_a_flooding_socket_is_refused_then_dropped_and_its_address_pays() -> None:
    quotas, clock = defaults(), Clock()
    limits = LiveLimits(quotas, clock)
    assert limits.admit("flood", HALL) is None
    assert limits.admit("neighbour", HALL) is None
    verdicts = [limits.event("flood") for _ in range(quotas.event_burst + quotas.strikes + 1)]
    allowed = [v for v in verdicts if v.allowed]
    refused = [v for v in verdicts if not v.allowed]
    assert len(allowed) == quotas.event_burst
    assert all(v.retry_after > 0 for v in refused)
    assert refused[-1].drop and not any(v.drop for v in refused[:-1])
    # Its neighbour behind the same address is still served.
    assert limits.event("neighbour").allowed

    # Time refills a socket that slows down.
    clock.now += 1 / quotas.events_per_second
    assert limits.event("neighbour").allowed


def test_an_address_that_keeps_reconnecting_to_flood_is_soon_refused() -> None:
    quotas, clock = defaults(), Clock()
    limits = LiveLimits(quotas, clock)
    admitted = 0
    for n in range(200):  # reconnect, flood until dropped, again, within one second
        if limits.admit(f"s{n}", HALL) is not None:
            break
        admitted += 1
        while not limits.event(f"s{n}").drop:
            pass
        limits.release(f"s{n}")
    assert admitted < 200
    refused_for = 0.0
    while limits.admit("again", HALL) is not None:  # paid back at the address's rate
        clock.now += 0.5
        refused_for += 0.5
    assert refused_for > 0


def test_the_socket_cap_per_address_counts_live_sockets_only() -> None:
    quotas = Quotas(
        connections_per_ip=2, events_per_second=2, event_burst=10, ip_events_per_second=100
    )
    limits = LiveLimits(quotas, Clock())
    assert limits.admit("a", HALL) is None and limits.admit("b", HALL) is None
    assert limits.admit("c", HALL) is not None
    assert limits.admit("d", "198.51.100.9") is None  # another address has its own
    limits.release("a")
    assert limits.admit("c", HALL) is None
    assert limits.admit("c", HALL) is None  # admitting a socket twice counts it once
    limits.release("b")
    assert limits.admit("e", HALL) is None

"""Password hashes made and checked off the event loop, at one cost, and the password policy.

scrypt (werkzeug's default: N=2^15, r=8, ~50-150 ms and 32 MiB per hash) is CPU-bound. Run in
a request of ``hackjudge serve``'s gevent loop, it stopped every other request and websocket
of the node for its whole length (issue 12: 8 anonymous sign-in clients took the public board
from 13 to 1,660 ms). ``hashlib.scrypt`` releases the GIL, so a few real OS threads run it
while the loop goes on; the bound caps both the CPU and the memory a sign-in flood can take.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from werkzeug.security import check_password_hash, generate_password_hash

from core.errors import N_, TranslatableError
from core.offload import Pool

T = TypeVar("T")

# Hashes at once per process: the cores, at most 4 (4 x 32 MiB of scrypt memory).
HASH_THREADS = max(1, min(4, os.cpu_count() or 1))

_hashing = Pool("password-hash", HASH_THREADS)


def off_loop(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` in the hashing pool (``core.offload``)."""
    return _hashing.run(work, *args)


def hash_password(password: str) -> str:
    return off_loop(generate_password_hash, password)


_dummy_hash = ""


def _dummy() -> str:
    """A hash of an unknown random password, made like real ones, so checking against it
    costs what checking a real account does."""
    global _dummy_hash
    if not _dummy_hash:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Does ``password`` match? Exactly one scrypt run whether or not there is an account (or
    a hash) to check, so the answer's timing never tells which e-mails exist."""
    matched = off_loop(check_password_hash, stored_hash or _dummy(), password)
    return bool(stored_hash) and matched


class PasswordRefused(TranslatableError, ValueError):
    """A password someone chose that the policy refuses; the message says why."""


# Shortest password a person may choose: staff accounts can change scores and see private
# boards, so they need more than a participant's account, which uploads for one team.
MIN_LENGTH = {"organizer": 10, "judge": 10, "participant": 8}
MAX_LENGTH = 128  # longer is no safer, and every sign-in hashes it

# The commonest passwords at least 8 characters long (shorter ones fail the length rule), from
# the public breach lists, plus this platform's own words; compared without case.
COMMON_PASSWORDS = frozenset(
    """
    password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword
    12345678 123456789 1234567890 12345678910 0123456789 87654321 987654321 11111111 00000000
    111111111 1111111111 22222222 55555555 66666666 88888888 99999999 12341234 11223344
    123123123 147258369 123456789a 1234567a 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y q1w2e3r4 q1w2e3r4t5
    qwertyui qwertyuiop qwerty12 qwerty123 qwerty1234 1qaz2wsx 1qazxsw2 zaq12wsx zxcvbnm1
    asdfghjk asdfghjkl asdf1234 qwer1234 abcd1234 abcdefgh abc12345 abcd12345 a1234567
    a12345678 aa123456 iloveyou iloveyou1 sunshine princess football baseball basketball
    superman batman123 starwars whatever trustno1 welcome1 welcome123 letmein1 letmein123
    admin123 administrator changeme changeme1 computer internet michelle jennifer charlie1
    monkey123 dragon123 master123 shadow123 freedom1 loveme123 secret123 samsung1 samsung123
    google123 naver123 daum1234 korea123 seoul123 sarang12 saranghae hackathon hackathon1
    hackjudge hackjudge1 hackjudge123 organizer organizer1 participant
    """.split()  # noqa: SIM905  (a word list reads better as words)
)


def check_password_policy(password: str, email: str, role: str) -> None:
    """Refuse a password a person chose for ``email`` with ``role`` (docs/api.md,
    "Sessions, tokens and sign-in limits"); generated passwords are random and need no check."""
    shortest = MIN_LENGTH.get(role, max(MIN_LENGTH.values()))
    if len(password) < shortest:
        raise PasswordRefused(
            N_("The password must be at least %(count)d characters long."), count=shortest
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(
            N_("The password must be at most %(count)d characters long."), count=MAX_LENGTH
        )
    folded = password.strip().casefold()
    address = email.strip().casefold()
    if folded in (address, address.partition("@")[0]):
        raise PasswordRefused(N_("The password must not be the e-mail address."))
    if folded in COMMON_PASSWORDS:
        raise PasswordRefused(N_("This is one of the most common passwords; choose another."))

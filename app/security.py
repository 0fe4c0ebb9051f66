"""Passwords, API tokens and role checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from config import default_token_days
from core.db import iso, utcnow
from core.errors import N_, TranslatableError
from core.models import ApiToken, Role, TokenScope, User

TOKEN_PREFIX = "hj_"
MAX_TOKEN_LIFETIME = timedelta(days=365)
MAX_TOKEN_NAME = 100
MAX_TOKENS_PER_USER = 50  # live ones: a script making tokens in a loop fills no table
# A token's last use is written at most this often: a script calling every second must not
# turn each of its reads into a database write.
LAST_USED_EVERY = timedelta(minutes=1)
LARGEST_ID = 2**31 - 1  # integer primary keys; a larger id names nothing

# Everything a submit-only token reaches: its team's uploads and submissions, and what anyone
# may read anonymously (boards, samples, history, reveal, announcements). Nothing else, above
# all no pages and no token endpoints, so it can never make itself a full token.
SUBMIT_ONLY = frozenset(
    {
        ("POST", "api.create_submission"),
        ("GET", "api.get_submission"),
        ("GET", "api.leaderboard"),
        ("GET", "api.sample"),
        ("GET", "api.history"),
        ("GET", "api.openapi"),
        ("GET", "api.reveal_state"),
        ("GET", "api.announcements"),
        ("GET", "static"),
    }
)


class TokenRefused(TranslatableError, ValueError):
    """A token request refused; ``code`` is the API's error code, the message says why."""

    def __init__(self, code: str, template: str, **params: str | int) -> None:
        super().__init__(template, **params)
        self.code = code


def hash_token(token: str) -> str:
    """Tokens are 256-bit random, so one SHA-256 is enough (no slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


LIFETIME = re.compile(r"(\d{1,6})\s*([mhdw])", re.ASCII)
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_lifetime(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d`` or ``2w``: how long a new token lasts (at most a year)."""
    match = LIFETIME.fullmatch(str(text).strip().lower())
    lifetime = timedelta(**{UNITS[match[2]]: int(match[1])}) if match else None
    if lifetime is None or not timedelta(0) < lifetime <= MAX_TOKEN_LIFETIME:
        raise TokenRefused(
            "bad_expires",
            N_(
                "Give the token's lifetime as a number and a unit, e.g. 30m, 12h, 7d or 2w, "
                "at most %(days)d days."
            ),
            days=MAX_TOKEN_LIFETIME.days,
        )
    return lifetime


def issue_token(
    session: Session,
    user: User,
    *,
    name: str = "",
    scope: str = TokenScope.FULL,
    lifetime: timedelta | None = None,
) -> tuple[ApiToken, str]:
    """A new token row and its secret; only the hash is stored, the caller shows it once."""
    if scope not in {s.value for s in TokenScope}:
        raise TokenRefused(
            "bad_scope", N_("Unknown scope %(scope)s: use full or submit."), scope=repr(scope)[:40]
        )
    if scope == TokenScope.SUBMIT and user.role != Role.PARTICIPANT:
        raise TokenRefused(
            "bad_scope",
            N_("Submit-only tokens are for participants; a staff token acts with its role."),
        )
    if len(name) > MAX_TOKEN_NAME:
        raise TokenRefused(
            "bad_name", N_("A token's name has at most %(count)d characters."), count=MAX_TOKEN_NAME
        )
    held = session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.expires_at > utcnow()
        )
    )
    if held is not None and held >= MAX_TOKENS_PER_USER:
        raise TokenRefused(
            "too_many_tokens",
            N_("An account holds at most %(count)d tokens; revoke one first."),
            count=MAX_TOKENS_PER_USER,
        )
    lifetime = lifetime or timedelta(days=default_token_days())
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=hash_token(secret),
        name=name.strip(),
        scope=scope,
        expires_at=utcnow() + lifetime,
    )
    session.add(row)
    session.flush()
    return row, secret


def new_token(session: Session, user: User, **options: Any) -> str:
    """A new token's secret (``options`` as for :func:`issue_token`)."""
    return issue_token(session, user, **options)[1]


def token_usable(row: ApiToken, now: datetime) -> bool:
    """Whether an existing token row still opens its account at ``now``."""
    if row.expires_at <= now:
        return False
    # Its owner became staff: "submit-only" no longer says what it may do.
    return not (row.scope == TokenScope.SUBMIT and row.user.role != Role.PARTICIPANT)


# Built once: SQLAlchemy memoizes a statement's cache key, so a statement made afresh for
# each request cost more Python than PostgreSQL spent running it (issue 14).
_TOKEN_ROW = (
    select(ApiToken)
    .options(joinedload(ApiToken.user))  # the user in the same query: every request reads it
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def lookup_hash(token: str) -> str | None:
    """The hash a token row of ``token`` would be found by; None if it is not one of ours (no
    query then)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return hash_token(token)


def live_token(session: Session, token: str) -> ApiToken | None:
    """The token row ``token`` opens, if it exists and has not expired; its use is noted."""
    token_hash = lookup_hash(token)
    if token_hash is None:
        return None
    return still_live(session.scalars(_TOKEN_ROW, {"token_hash": token_hash}).first())


def still_live(row: ApiToken | None) -> ApiToken | None:
    """``row`` (found by its token's hash) if it still opens its account; its use is noted."""
    now = utcnow()
    if row is None or not token_usable(row, now):
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
    return row


def user_for_token(session: Session, token: str) -> User | None:
    """The user a live token acts for (expired, revoked or unknown tokens: None)."""
    row = live_token(session, token)
    return row.user if row is not None else None


def scope_allows(scope: str, method: str, endpoint: str | None) -> bool:
    """May a token of ``scope`` make this request (``endpoint`` as Flask names it)?"""
    if scope != TokenScope.SUBMIT:
        return True
    return ("GET" if method == "HEAD" else method, endpoint or "") in SUBMIT_ONLY


def tokens_of(session: Session, user: User | None) -> list[ApiToken]:
    """``user``'s tokens, or everyone's (``None``), oldest first."""
    query = select(ApiToken).order_by(ApiToken.user_id, ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def token_json(row: ApiToken) -> dict[str, Any]:
    """What may be shown of a token: never its secret nor its hash."""
    return {
        "id": row.id,
        "name": row.name,
        "scope": row.scope,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "expires_at": iso(row.expires_at),
        "expired": row.expires_at <= utcnow(),
    }


def token_target(row: ApiToken) -> str:
    """How the audit log names a token: owner, id and name (never its secret)."""
    return f"{row.user.email} token {row.id} {row.name}".strip()[:200]


def revoke_token(session: Session, token_id: int, owner: User | None) -> ApiToken:
    """Delete token ``token_id`` (only ``owner``'s, unless ``None``: an organizer's CLI)."""
    row = session.get(ApiToken, token_id) if 0 < token_id <= LARGEST_ID else None
    if row is None or (owner is not None and row.user_id != owner.id):
        # Someone else's token is "not found" too: its id is not confirmed to exist.
        raise TokenRefused("not_found", N_("No token %(id)s."), id=token_id)
    row.user  # noqa: B018  (loaded while the row exists: the audit log names its owner)
    session.delete(row)
    session.flush()
    return row


def user_with_role(*roles: Role, refusal: str | None = None) -> User:
    """The one role check of every view: the signed-in user (session or bearer token) if
    their role is one of ``roles``; 401 for nobody, 403 with ``refusal`` for another role."""
    from flask_babel import gettext

    if not current_user.is_authenticated:
        abort(401)
    if current_user.role not in roles:
        abort(403, description=refusal or gettext("Not for your role."))
    return current_user._get_current_object()

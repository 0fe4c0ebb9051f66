"""Passwords, API tokens and role checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import utcnow
from app.models import ApiToken, Role, User

TOKEN_PREFIX = "hj_"


def hash_token(token: str) -> str:
    """Tokens are 256-bit random, so one SHA-256 is enough (no slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(session: Session, user: User) -> str:
    """Issue a token; only its hash is stored, the caller shows it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None:
        return None
    row.last_used_at = utcnow()
    return row.user


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)


def password_ok(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


# An address that mail can reach: one @, a local part and a dotted domain, no spaces.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def create_user(
    session: Session, email: str, role: str, password: str | None = None, **fields: Any
) -> tuple[User, str]:
    """A new user with ``password`` or a generated one; returns the user and the password."""
    from app.admin import SetupError  # app.admin imports this module

    if role not in {r.value for r in Role}:
        raise SetupError("Unknown role %(role)s.", role=repr(role))
    email = email.strip().lower()
    if not EMAIL.fullmatch(email) or len(email) > 320:
        raise SetupError("%(email)s is not an e-mail address.", email=repr(email[:80]))
    if session.scalars(select(User).where(User.email == email)).first():
        raise SetupError("A user with e-mail %(email)s already exists.", email=email)
    password = password or secrets.token_urlsafe(9)
    user = User(email=email, role=role, **fields)
    set_password(user, password)
    session.add(user)
    session.flush()
    return user, password


def roles_required(*roles: Role) -> Callable:
    """View decorator: 401 when anonymous, 403 when the role does not fit."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate

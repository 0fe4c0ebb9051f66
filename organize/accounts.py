"""Accounts: creating users, their passwords and their sessions' end."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.cells import spreadsheet_safe_token
from core.models import Role, User
from organize import SetupError
from organize.passwords import check_password_policy, hash_password, verify_password


def end_sessions(user: User) -> None:
    """Make every session and remember cookie of ``user`` worthless (``User.get_id``)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    end_sessions(user)  # a new password signs out whoever knew the old one


def password_ok(user: User | None, password: str) -> bool:
    """Does ``password`` open ``user``'s account? As costly for ``None`` (no such account)."""
    return verify_password(user.password_hash if user is not None else None, password)


# An address that mail can reach: one @, a local part and a dotted domain, no spaces.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def create_user(
    session: Session, email: str, role: str, password: str | None = None, **fields: Any
) -> tuple[User, str]:
    """A new user with ``password`` (held to the policy: a person chose it) or a generated
    one; returns the user and the password."""
    if role not in {r.value for r in Role}:
        raise SetupError("Unknown role %(role)s.", role=repr(role))
    email = email.strip().lower()
    if not EMAIL.fullmatch(email) or len(email) > 320:
        raise SetupError("%(email)s is not an e-mail address.", email=repr(email[:80]))
    if password:
        check_password_policy(password, email, role)
    if session.scalars(select(User).where(User.email == email)).first():
        raise SetupError("A user with e-mail %(email)s already exists.", email=email)
    password = password or spreadsheet_safe_token(9)  # a CSV of logins opens in Excel
    user = User(email=email, role=role, **fields)
    set_password(user, password)
    session.add(user)
    session.flush()
    return user, password

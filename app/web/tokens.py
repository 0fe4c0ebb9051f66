"""The page ``/tokens``: one's own API tokens, listed, made (the secret shown once) and revoked.

Plain forms with Flask-WTF's CSRF token, no script. The secret is in the answer to the POST
that made it and nowhere else: never in the session cookie (signed, not encrypted), never in a
redirect, and the page is ``no-store`` so no cache keeps it.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required

from app.extensions import db
from app.security import (
    TokenRefused,
    issue_token,
    parse_lifetime,
    revoke_token,
    token_target,
    tokens_of,
)
from app.web.auth import bp
from core.audit import audit
from core.db import utcnow
from core.models import Role, TokenScope

# The lifetimes offered on the page (the API and the CLI take any up to a year).
LIFETIMES = {
    "1d": lazy_gettext("1 day"),
    "7d": lazy_gettext("7 days"),
    "30d": lazy_gettext("30 days"),
    "90d": lazy_gettext("90 days"),
}
SCOPES = {
    TokenScope.FULL: lazy_gettext("Full: everything your account may do"),
    TokenScope.SUBMIT: lazy_gettext("Submit only: upload and read your team's submissions"),
}


def _page(status: int = 200, **shown: object) -> ResponseReturnValue:
    assert db.session is not None
    user = current_user._get_current_object()
    scopes = SCOPES if user.role == Role.PARTICIPANT else {TokenScope.FULL: SCOPES["full"]}
    html = render_template(
        "tokens.html",
        now=utcnow(),
        tokens=tokens_of(db.session, user),
        scopes=scopes,
        lifetimes=LIFETIMES,
        **shown,
    )
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/tokens")
@login_required
def tokens() -> ResponseReturnValue:
    """One's own API tokens."""
    return _page()


@bp.post("/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    """Make a token; its secret is shown in this answer only."""
    assert db.session is not None
    user = current_user._get_current_object()
    expires = request.form.get("expires", "30d")
    try:
        lifetime = parse_lifetime(expires if expires in LIFETIMES else "")
        row, secret = issue_token(
            db.session,
            user,
            name=request.form.get("name", "").strip(),
            scope=request.form.get("scope", TokenScope.FULL),
            lifetime=lifetime,
        )
    except TokenRefused as refused:
        db.session.rollback()
        return _page(400, error=str(refused))
    audit(
        db.session,
        None,
        user,
        "token.create",
        token_target(row),
        None,
        {"scope": row.scope, "expires_at": row.expires_at},
    )
    db.session.commit()
    return _page(201, created=row, secret=secret)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of one's own tokens; it stops working at once."""
    assert db.session is not None
    user = current_user._get_current_object()
    try:
        row = revoke_token(db.session, token_id, owner=user)
    except TokenRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("auth.tokens"))
    audit(db.session, None, user, "token.revoke", token_target(row))
    db.session.commit()
    flash(_("Token revoked: it no longer works."), "info")
    return redirect(url_for("auth.tokens"))

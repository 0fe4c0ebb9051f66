"""One's own API tokens: list, create (the secret in this answer only), revoke.

Organizers list and revoke anyone's from the command line (``hackjudge token``). A browser
calls these with its session and the CSRF token; a submit-only token cannot call them at all
(``app.security.SUBMIT_ONLY``), so it can never mint itself a full one.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_babel import gettext as _

from app.api import bp, error, user_or_401
from app.api.validate import json_body
from app.lookup import session
from app.security import (
    TokenRefused,
    issue_token,
    parse_lifetime,
    revoke_token,
    token_json,
    token_target,
    tokens_of,
)
from core.audit import audit
from core.models import TokenScope


@bp.get("/tokens")
def list_tokens() -> Response:
    """The caller's tokens, without their secrets."""
    user = user_or_401()
    return jsonify({"tokens": [token_json(row) for row in tokens_of(session(), user)]})


@bp.post("/tokens")
def create_token() -> tuple[Response, int] | Response:
    """A new token for the caller: ``{"name", "scope": "full"|"submit", "expires": "7d"}``."""
    user = user_or_401()
    body: Any = json_body()  # checked against its schema in the OpenAPI document
    name = body.get("name", "")
    scope = body.get("scope", TokenScope.FULL)
    expires = body.get("expires")
    if not isinstance(name, str) or not isinstance(scope, str):
        return error(400, "bad_request", _("name and scope are text."))
    if expires is not None and not isinstance(expires, str):
        return error(400, "bad_expires", _("expires is text such as 7d, 12h or 30m."))
    try:
        lifetime = parse_lifetime(expires) if expires is not None else None
        row, secret = issue_token(session(), user, name=name, scope=scope, lifetime=lifetime)
    except TokenRefused as refused:
        session().rollback()
        return error(400, refused.code, str(refused))
    summary = {"scope": row.scope, "expires_at": row.expires_at}
    audit(session(), None, user, "token.create", token_target(row), None, summary)
    session().commit()
    return jsonify({**token_json(row), "token": secret}), 201


@bp.delete("/tokens/<int:token_id>")
def delete_token(token_id: int) -> tuple[Response, int] | Response:
    """Revoke one of the caller's tokens; it stops working at once."""
    user = user_or_401()
    try:
        row = revoke_token(session(), token_id, owner=user)
    except TokenRefused as refused:
        session().rollback()
        return error(404, refused.code, str(refused))
    audit(session(), None, user, "token.revoke", token_target(row))
    session().commit()
    return jsonify({"revoked": token_id})

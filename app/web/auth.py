"""Sign-in with a password (pages) or a bearer token (API, CLI, Socket.IO).

Who a request is, in this order: a valid bearer token's user (a credential the request
carries itself, so it needs no CSRF token); else the session or remember cookie's user, if the
cookie's session epoch is still the user's (signing out raises it, ending every copy of every
cookie); else anonymous. A bearer that opens nothing is ignored, never an exemption.
"""

from __future__ import annotations

import hmac
import logging
import math
import re
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Request,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import event, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden, HTTPException
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from app.extensions import db, limiter, login_manager, seconds_until_reset
from app.security import LARGEST_ID, live_token, scope_allows
from core.models import ApiToken, User
from organize.accounts import end_sessions, password_ok
from submissions.rows import TokenUse

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


class LoginForm(FlaskForm):
    email = EmailField("email", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


def bearer_token(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_token() -> ApiToken | None:
    """The live API token this request presents, looked up once per request."""
    if "hackjudge_token" not in g:
        token = bearer_token(request)
        assert db.session is not None
        remember_token(live_token(db.session, token) if token is not None else None)
    return g.hackjudge_token


def remember_token(row: ApiToken | None) -> None:
    """``row`` is the live token of this request (``live_token``'s answer, or the row a
    combined lookup found by its hash and ``still_live`` kept): what ``request_token`` says."""
    assert db.session is not None
    # Its last use, when noted (at most every few minutes), rides on the request's own commit;
    # ``_note_token_use`` writes it for a request that makes none. A commit of its own here
    # was ~3% of a web node's CPU in a rush (issue 14).
    if row is not None and row in db.session.dirty:
        db.session.info[TOKEN_USE] = (row.id, row.last_used_at)
    g.hackjudge_token = row


TOKEN_USE = "hackjudge_token_use"  # in a session's info: a token's last use, not committed yet


class CarriedTokenUse:
    """The request token's last use, if due and not written yet, taken off the request's
    commits for a statement of the caller's to carry (an upload's row: a round trip fewer,
    issue 14); unless that statement wrote it (``use.written``: the row went in, or on
    PostgreSQL its statement ran and refused it), the request writes it after all
    (``_note_token_use``)."""

    def __init__(self) -> None:
        self.use: TokenUse | None = None

    def __enter__(self) -> CarriedTokenUse:
        assert db.session is not None
        row = g.get("hackjudge_token")
        if row is not None and TOKEN_USE in db.session.info:
            self.use = TokenUse(*db.session.info.pop(TOKEN_USE))
            # Not the next flush's: out of the session, the row leaves the commits nothing to
            # flush (kept in it, its change undone, it still cost each commit an empty flush).
            db.session.expunge(row)
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Put back for ``_note_token_use``; no commit may come between (``_token_use_committed``
        # would take it for written): the refusals roll back, and nothing else commits.
        if self.use is not None and not self.use.written:
            assert db.session is not None
            db.session.info[TOKEN_USE] = (self.use.token_id, self.use.used_at)


@event.listens_for(Session, "after_commit")
def _token_use_committed(session: Session) -> None:
    session.info.pop(TOKEN_USE, None)


@bp.after_app_request
def _note_token_use(response: Response) -> Response:
    """Write the token's last use if no commit of the request carried it."""
    pending = db.session.info.pop(TOKEN_USE, None) if db.session is not None else None
    if pending is None:
        return response
    token_id, used = pending
    try:
        db.session.rollback()  # what the request left uncommitted was not to be kept
        db.session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=used)
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()  # the answer stands; the next request notes the use
        log.warning("last use of token %s not noted", token_id, exc_info=True)
    return response


def authenticated_by_token() -> bool:
    """Is this request's user its valid bearer token's? Only such requests may skip CSRF: a
    browser adds cookies to a forged request by itself, never a valid token."""
    return request_token() is not None


COOKIE_ID = re.compile(r"(\d{1,10}):(\d{1,10})", re.ASCII)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user a session or remember cookie names (``User.get_id``), if its epoch is current;
    a request with a valid bearer token is that token's user whatever its cookies say."""
    token = request_token()
    if token is not None:
        return token.user
    match = COOKIE_ID.fullmatch(user_id or "")
    if match is None or int(match[1]) > LARGEST_ID:
        return None  # a cookie from before epochs (migration 0008), or garbage
    assert db.session is not None
    user = db.session.get(User, int(match[1]))
    if user is None or not hmac.compare_digest(match[2], str(user.session_epoch or 0)):
        return None  # signed out since (or the password changed): the cookie is dead
    return user


@login_manager.request_loader
def load_user_from_request(_req: Request) -> User | None:
    token = request_token()
    return token.user if token is not None else None


@bp.before_app_request
def _token_scope() -> None:
    """A submit-only token is refused outside its few endpoints (``app.security``)."""
    if bearer_token(request) is None:
        return
    token = request_token()
    if token is not None and not scope_allows(token.scope, request.method, request.endpoint):
        raise Forbidden(
            description=_(
                "This is a submit-only token: it may upload, read its team's submissions and "
                "the public boards, nothing else."
            )
        )


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, else ``fallback``.

    Browsers forgive a lot: they drop tabs and newlines anywhere in a URL, trim spaces and
    control characters, read ``\\`` as ``/``, and take ``//host`` (``/\\host``, ``/\\t/host``)
    as another site. So any control character, space or backslash refuses the target outright,
    and the rest must parse as a bare path (no scheme, no host) starting with a single ``/``.
    """
    if not target or len(target) > 2048:
        return fallback
    if any(ch == "\\" or ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def normalised_email(text: str | None) -> str:
    return (text or "").strip().lower()


# Failed sign-ins are limited per client address and, separately, per account from any address
# (Flask-Limiter: Redis in production, memory in embedded mode). Each attempt takes its place in
# both counters before the password is checked, atomically (INCR), so a thousand guesses sent
# at once get no further than ten sent one by one; a successful one gives its place back, so
# only failures count (a hall behind one NAT signs in at once). While a limit holds even the
# right password is refused, or guessing would only need patience. A lock lasts to the end of
# its fixed window, which refused attempts do not extend: an attacker keeps an account locked
# only by failing again every window, and the user keeps every signed-in session and token
# (docs/api.md, "Sessions, tokens and sign-in limits", on this trade-off).
def _settings():  # noqa: ANN202
    return current_app.config["HACKJUDGE"]


def _address_key() -> str:
    return f"login:ip:{request.remote_addr or 'unknown'}"


def _account_key() -> str:
    # Keyed, so the keys in Redis do not tell which e-mails were tried.
    email = normalised_email(request.form.get("email"))
    digest = hmac.new(current_app.secret_key.encode(), email.encode(), "sha256").hexdigest()
    return f"login:account:{digest[:32]}"


def _give_back_attempt() -> None:
    """A successful sign-in is not a failure: undo its count in each login limit."""
    for counted in limiter.current_limits:
        try:
            counted.limiter.storage.incr(counted.key, counted.limit.get_expiry(), amount=-1)
        except Exception:  # the storage is away: the sign-in stands, the count stays
            log.warning("could not give back a sign-in attempt to %s", counted.key)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _settings().login_limit_ip, key_func=_address_key, methods=["POST"])
@limiter.limit(lambda: _settings().login_limit_account, key_func=_account_key, methods=["POST"])
def login() -> object:
    """Sign in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        assert db.session is not None
        email = normalised_email(form.email.data)
        user = db.session.scalars(select(User).where(User.email == email)).first()
        db.session.commit()  # no database connection held while the hash is checked
        # One scrypt run whether the account exists or not: timing tells nothing.
        if password_ok(user, form.password.data or "") and user is not None:
            _give_back_attempt()
            login_user(user, remember=True)
            return redirect(safe_next(request.args.get("next"), url_for("pages.index")))
        flash(_("E-mail or password is wrong."), "error")
    return render_template("login.html", form=form)


@bp.errorhandler(429)
def _too_many_sign_ins(_exc: HTTPException) -> tuple[str, int]:
    """The login page again, saying how long to wait (``Retry-After`` says it to programs)."""
    minutes = math.ceil(seconds_until_reset(limiter.current_limit) / 60)
    error = ngettext(
        "Too many failed sign-ins. Try again in %(num)d minute.",
        "Too many failed sign-ins. Try again in %(num)d minutes.",
        minutes,
    )
    form = LoginForm(formdata=None, email=request.form.get("email", ""))
    return render_template("login.html", form=form, error=error), 429


@bp.post("/logout")
def logout() -> object:
    """Sign out: this browser and every other session of the account (docs/api.md)."""
    if current_user.is_authenticated and not authenticated_by_token():
        assert db.session is not None
        end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    return redirect(url_for("pages.index"))


from app.web import tokens as token_pages  # noqa: E402,F401  (its routes register on bp)

"""Sign-in with a password (pages) or a bearer token (API, CLI, Socket.IO)."""

from __future__ import annotations

from flask import Blueprint, Request, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from app.extensions import db, login_manager
from app.models import User
from app.security import password_ok, user_for_token

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("email", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    assert db.session is not None
    return db.session.get(User, int(user_id))


def bearer_token(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@login_manager.request_loader
def load_user_from_request(req: Request) -> User | None:
    token = bearer_token(req)
    if token is None:
        return None
    assert db.session is not None
    user = user_for_token(db.session, token)
    db.session.commit()
    return user


@bp.route("/login", methods=["GET", "POST"])
def login() -> object:
    """Sign in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        assert db.session is not None
        email = (form.email.data or "").strip().lower()
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user and password_ok(user, form.password.data or ""):
            login_user(user, remember=True)
            target = request.args.get("next", "")
            # Only same-site relative redirects.
            if not target.startswith("/") or target.startswith("//") or "\\" in target:
                target = url_for("pages.index")
            return redirect(target)
        flash(_("E-mail or password is wrong."), "error")
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout() -> object:
    """Sign out."""
    logout_user()
    return redirect(url_for("pages.index"))

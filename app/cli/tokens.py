"""``hackjudge token``: make, list and revoke API tokens from the organizer's shell."""

from __future__ import annotations

import click
from sqlalchemy import select

from app.cli import CliError, configured_db, main
from app.cli.actor import acting_as, cli_actor
from config import Settings
from core.models import TokenScope, User


def _db():  # noqa: ANN202
    return configured_db(Settings())


def _account(session, email: str) -> User:  # noqa: ANN001
    found = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if found is None:
        raise CliError(f"no user {email}")
    return found


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="", help="A label to recognise it by, e.g. laptop or CI.")
@click.option(
    "--scope",
    type=click.Choice([s.value for s in TokenScope]),
    default=TokenScope.FULL.value,
    show_default=True,
    help="submit: the team's uploads and submissions and the public boards only.",
)
@click.option(
    "--expires", metavar="LIFETIME", help="e.g. 12h, 7d, 2w (default: HACKJUDGE_TOKEN_DAYS)."
)
@acting_as
def token_create(
    email: str, name: str, scope: str, expires: str | None, acting_as: str | None
) -> None:
    """Print a new API token for EMAIL, alone on stdout (stored hashed)."""
    from app.security import issue_token, parse_lifetime, token_target
    from core.audit import audit

    try:
        with _db().begin() as session:
            actor = cli_actor(session, acting_as)
            lifetime = parse_lifetime(expires) if expires else None
            row, secret = issue_token(
                session, _account(session, email), name=name, scope=scope, lifetime=lifetime
            )
            summary = {"scope": row.scope, "expires_at": row.expires_at}
            audit(session, None, actor, "token.create", token_target(row), None, summary)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    click.echo(secret)


@token.command("list")
@click.argument("email", required=False)
def token_list(email: str | None) -> None:
    """List the tokens of EMAIL (or everyone's): never their secrets."""
    from app.security import tokens_of
    from core.db import utcnow

    def when(moment) -> str:  # noqa: ANN001
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    with _db().begin() as session:
        rows = tokens_of(session, _account(session, email) if email else None)
        now = utcnow()
        lines = [
            (
                str(row.id),
                row.user.email,
                row.scope,
                when(row.created_at),
                when(row.last_used_at),
                when(row.expires_at) + (" expired" if row.expires_at <= now else ""),
                row.name,
            )
            for row in rows
        ]
    header = ("id", "user", "scope", "created (UTC)", "last used", "expires", "name")
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header) - 1)]
    for line in [header, *lines]:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        click.echo("  ".join([*cells, line[-1]]).rstrip())


@token.command("revoke")
@click.argument("token_id", type=int)
@acting_as
def token_revoke(token_id: int, acting_as: str | None) -> None:
    """Revoke token TOKEN_ID (ids from `hackjudge token list`); it stops working at once."""
    from app.security import revoke_token, token_target
    from core.audit import audit

    try:
        with _db().begin() as session:
            actor = cli_actor(session, acting_as)
            row = revoke_token(session, token_id, owner=None)
            target = token_target(row)
            audit(session, None, actor, "token.revoke", target)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"revoked {target}")

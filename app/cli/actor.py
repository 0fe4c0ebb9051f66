"""Who acts from the command line, for the audit log: ``--as EMAIL`` or the OS user."""

from __future__ import annotations

import getpass

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cli import CliError
from core.models import Role, User

# Each organizer command that changes something takes this option.
acting_as = click.option(
    "--as",
    "acting_as",
    metavar="EMAIL",
    envvar="HACKJUDGE_AS",
    help="The organizer account the audit log names (default: the OS user, as cli:NAME).",
)


def cli_actor(session: Session, email: str | None) -> User | str:
    """The organizer account ``email`` names, or ``cli:<OS user>`` when none is given."""
    if email:
        account = session.scalars(select(User).where(User.email == email.strip().lower())).first()
        if account is None or account.role != Role.ORGANIZER:
            raise CliError(f"--as {email}: there is no organizer account with this e-mail")
        return account
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "cli:unknown"

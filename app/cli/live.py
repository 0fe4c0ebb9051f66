"""CLI commands for the hall and the results: freeze, unfreeze, reveal, announce, export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli import CliError, cli_publisher, configured_db, main
from app.cli.actor import acting_as, cli_actor
from app.cli.terminal import event_time
from config import Settings
from core.models import User


def _freeze_change(event_slug: str, action: str, acting_as: str | None):  # noqa: ANN202
    """Freeze or unfreeze, audit-logged; the event's settings after the change."""
    from core.audit import audit
    from core.db import utcnow
    from organize.events import event_by_slug, event_summary, freeze_event, unfreeze_event

    try:
        with configured_db(Settings()).begin() as session:
            actor = cli_actor(session, acting_as)
            target = event_by_slug(session, event_slug)
            before = event_summary(target)
            if action == "freeze":
                freeze_event(target, utcnow())
            else:
                unfreeze_event(target, utcnow())
            after = event_summary(target)
            audit(session, target, actor, f"event.{action}", event_slug, before, after)
            return target.freeze_at, target.freeze_scheduled_at, target.timezone
    except ValueError as exc:
        raise CliError(str(exc)) from None


@main.command()
@click.argument("event_slug")
@acting_as
def freeze(event_slug: str, acting_as: str | None) -> None:
    """Freeze the public board now: non-staff views stop at submissions made before."""
    moment, _scheduled, timezone = _freeze_change(event_slug, "freeze", acting_as)
    click.echo(f"{event_slug} frozen since {event_time(moment, timezone)}")


@main.command()
@click.argument("event_slug")
@acting_as
def unfreeze(event_slug: str, acting_as: str | None) -> None:
    """Lift the freeze: the public board catches up at once (a later scheduled freeze stays)."""
    moment, _scheduled, timezone = _freeze_change(event_slug, "unfreeze", acting_as)
    if moment is None:
        click.echo(f"{event_slug} unfrozen")
    else:
        at = event_time(moment, timezone)
        click.echo(f"{event_slug} unfrozen; the scheduled freeze at {at} stays")


def _score(value: float | None, decimals: int) -> str:
    return "—" if value is None else f"{value:.{decimals}f}"


@main.command()
@click.argument("event_slug")
@click.option("--task", "task_slug", help="Default: the first task not yet revealed.")
@click.option("--all", "to_end", is_flag=True, help="Reveal every remaining team at once.")
@acting_as
def reveal(event_slug: str, task_slug: str | None, to_end: bool, acting_as: str | None) -> None:
    """After the end: start the reveal, then one team per call, bottom-up (or --all)."""
    from core.db import utcnow
    from organize.events import event_by_slug
    from scoreboard.ceremony import reveal_next
    from scoreboard.reveal import RevealRefused

    settings = Settings()
    db = configured_db(settings)
    try:
        with db.begin() as session:
            actor = cli_actor(session, acting_as)
            step = reveal_next(
                session,
                event_by_slug(session, event_slug),
                task_slug,
                utcnow(),
                actor.id if isinstance(actor, User) else None,
                to_end=to_end,
                actor_name=actor if isinstance(actor, str) else "",
            )
    except (RevealRefused, ValueError) as exc:
        raise CliError(str(exc)) from None
    publisher = cli_publisher(settings, db)
    step.publish(publisher)
    publisher.wait_idle(10)
    msg = step.message
    if msg["team"] is not None and not to_end:
        moved = f"{msg['from_rank'] or '-'} → {msg['to_rank'] or '-'}"
        private = _score(msg["private_score"], msg["decimals"])
        click.echo(
            f"{msg['task']} step {msg['step']}/{msg['total']}: {msg['team']} {moved} ({private})"
        )
    else:
        click.echo(f"{msg['task']} reveal at step {msg['step']}/{msg['total']}")
    if msg["finished"]:
        click.echo(f"{msg['task']} revealed: the private board is public")
        for row in msg["standings"][:10]:
            click.echo(
                f"{row['rank'] or '-':>4}  {row['team'][:30]:<30}  "
                f"{_score(row['score'], msg['decimals'])}"
            )


@main.command()
@click.argument("event_slug")
@click.argument("message")
@acting_as
def announce(event_slug: str, message: str, acting_as: str | None) -> None:
    """Push an announcement to every page and projector of the event."""
    from core.db import utcnow
    from organize.events import event_by_slug
    from scoreboard.ceremony import announce as store

    settings = Settings()
    db = configured_db(settings)
    try:
        with db.begin() as session:
            actor = cli_actor(session, acting_as)
            target = event_by_slug(session, event_slug)
            by = actor.id if isinstance(actor, User) else None
            name = actor if isinstance(actor, str) else ""
            item = store(session, target, message, by, utcnow(), actor_name=name)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    cli_publisher(settings, db).announcement(event_slug, item)
    click.echo(f"announced to {event_slug}: {item['message']}")


@main.command()
@click.argument("event_slug")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="results.xlsx (every sheet) or results.csv (the final ranking)",
)
def export(event_slug: str, out: Path) -> None:
    """Export the final ranking, judges' scores, private boards and the audit log."""
    from organize.events import event_by_slug
    from review import exports

    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise CliError("--out must end in .xlsx or .csv")
    try:
        with (
            configured_db(Settings()).begin() as session,
            click.progressbar(length=2, label="exporting", file=sys.stderr) as bar,
        ):
            tables = exports.sheets(session, event_by_slug(session, event_slug))
            bar.update(1)
            xlsx = out.suffix.lower() == ".xlsx"
            body = exports.to_xlsx(tables) if xlsx else exports.to_csv(tables["final"])
            bar.update(1)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    out.write_bytes(body)
    click.echo(f"exported {', '.join(tables)} → {out}" if out.suffix == ".xlsx" else f"→ {out}")

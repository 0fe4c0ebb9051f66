"""CLI commands for the hall and the results: freeze, unfreeze, reveal, announce, export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli import CliError, cli_publisher, configured_db, main
from config import Settings


@main.command()
@click.argument("event_slug")
def freeze(event_slug: str) -> None:
    """Freeze the public board now: non-staff views stop at submissions made before."""
    from app.admin import event_by_slug, freeze_event
    from app.db import utcnow

    try:
        with configured_db(Settings()).begin() as session:
            target = event_by_slug(session, event_slug)
            freeze_event(target, utcnow())
            moment = target.freeze_at
    except ValueError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"{event_slug} frozen since {moment.isoformat()}")


@main.command()
@click.argument("event_slug")
def unfreeze(event_slug: str) -> None:
    """Lift the freeze: the public board catches up at once."""
    from app.admin import event_by_slug, unfreeze_event

    try:
        with configured_db(Settings()).begin() as session:
            unfreeze_event(event_by_slug(session, event_slug))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"{event_slug} unfrozen")


def _score(value: float | None, decimals: int) -> str:
    return "—" if value is None else f"{value:.{decimals}f}"


@main.command()
@click.argument("event_slug")
@click.option("--task", "task_slug", help="Default: the first task not yet revealed.")
@click.option("--all", "to_end", is_flag=True, help="Reveal every remaining team at once.")
def reveal(event_slug: str, task_slug: str | None, to_end: bool) -> None:
    """After the end: start the reveal, then one team per call, bottom-up (or --all)."""
    from app.admin import event_by_slug
    from app.ceremony import reveal_next
    from app.db import utcnow
    from scoreboard.reveal import RevealRefused

    settings = Settings()
    db = configured_db(settings)
    try:
        with db.begin() as session:
            step = reveal_next(
                session,
                event_by_slug(session, event_slug),
                task_slug,
                utcnow(),
                None,
                to_end=to_end,
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
def announce(event_slug: str, message: str) -> None:
    """Push an announcement to every page and projector of the event."""
    from app.admin import event_by_slug
    from app.ceremony import announce as store
    from app.db import utcnow

    settings = Settings()
    db = configured_db(settings)
    try:
        with db.begin() as session:
            target = event_by_slug(session, event_slug)
            item = store(session, target, message, None, utcnow())
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
    from app import exports
    from app.admin import event_by_slug

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

"""Organizer commands of the CLI: users, events, teams, boards (tasks: ``app.cli.tasks``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.cli import CliError, configured_db, main
from app.cli.actor import acting_as, cli_actor
from config import Settings
from core.cells import csv_text
from core.models import (
    Role,
)


def _db():  # noqa: ANN202
    return configured_db(Settings())


@main.group()
def user() -> None:
    """User accounts."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", help="Generated and printed when left out.")
@click.option("--name", default="")
@click.option("--affiliation", default="")
@acting_as
def user_create(
    email: str,
    role: str,
    password: str | None,
    name: str,
    affiliation: str,
    acting_as: str | None,
) -> None:
    """Create a user."""
    from core.audit import audit
    from organize.accounts import create_user

    try:
        with _db().begin() as session:
            # The first organizer is made from the shell before any account exists.
            actor = cli_actor(session, acting_as)
            account, chosen = create_user(
                session, email, role, password, name=name, affiliation=affiliation
            )
            audit(session, None, actor, "user.create", account.email, None, {"role": role})
    except ValueError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"created {role} {account.email}")
    if not password:
        click.echo(f"password: {chosen}")


@main.group()
def event() -> None:
    """Events."""


@event.command("create")
@click.argument("slug")
@click.option("--title", required=True)
@click.option("--start", required=True, help="ISO 8601; without an offset, in --timezone.")
@click.option("--end", required=True)
@click.option("--freeze")
@click.option("--timezone", default="Asia/Seoul", show_default=True)
@acting_as
def event_create(
    slug: str,
    title: str,
    start: str,
    end: str,
    freeze: str | None,
    timezone: str,
    acting_as: str | None,
) -> None:
    """Create an event."""
    from app.cli.terminal import event_time
    from core.audit import audit
    from organize.events import create_event, event_summary

    try:
        with _db().begin() as session:
            actor = cli_actor(session, acting_as)
            created = create_event(session, slug, title, start, end, freeze, timezone)
            audit(session, created, actor, "event.create", slug, None, event_summary(created))
            # Read back on the event's clock: a time typed without an offset was read in
            # --timezone, and this is where a wrong guess shows.
            moments = [("start", created.start_at), ("end", created.end_at)]
            moments += [("freeze", created.freeze_at)] if created.freeze_at else []
            schedule = [f"  {name:<6} {event_time(at, timezone)}" for name, at in moments]
    except ValueError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"created event {created.slug} ({timezone})")
    click.echo("\n".join(schedule))


@main.group()
def team() -> None:
    """Teams."""


@team.command("import")
@click.argument("event_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Credentials CSV.")
@acting_as
def team_import(event_slug: str, file: Path, out: Path | None, acting_as: str | None) -> None:
    """Import teams and members (CSV/XLSX: team, affiliation, name, email)."""
    from core.audit import audit
    from organize.events import event_by_slug
    from organize.teams import import_teams, read_team_file

    try:
        roster = read_team_file(file)
        with _db().begin() as session:
            actor = cli_actor(session, acting_as)
            target = event_by_slug(session, event_slug)
            with click.progressbar(
                import_teams(session, target, roster),
                length=len(roster),
                label="importing",
                file=sys.stderr,
            ) as rows:
                credentials = list(rows)
            teams = sorted({c.team for c in credentials})
            after = {"members": len(credentials), "teams": teams, "file": file.name}
            audit(session, target, actor, "teams.import", event_slug, None, after)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    header = ["team", "name", "email", "password", "invite_code"]
    lines = [[c.team, c.name, c.email, c.password, c.invite_code] for c in credentials]
    text = csv_text([header, *lines])  # formula-like names written as text (core.cells)
    if out:
        # UTF-8 with BOM: Korean Excel opens it with the names intact.
        with out.open("w", newline="", encoding="utf-8-sig") as fh:
            fh.write(text)
        out.chmod(0o600)
        click.echo(f"imported {len(credentials)} members in {len(set(roster.team))} teams → {out}")
    else:
        sys.stdout.write(text)


@main.command()
@click.argument("event_slug")
@click.option("--task", "task_slug")
@click.option(
    "--board", type=click.Choice(["public", "staff", "private", "final"]), default="public"
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def leaderboard(event_slug: str, task_slug: str | None, board: str, fmt: str) -> None:
    """Print a board from the database (organizer's view)."""
    from organize.events import event_by_slug
    from scoreboard.boards import Board, current_board

    with _db().begin() as session:
        try:
            target = event_by_slug(session, event_slug)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        zone = target.timezone
        if board == "final":
            from review.results import final_board, final_standing, published

            boards = [published(target) or final_board(target, final_standing(session, target))]
            boards[0]["task"] = "final"
        else:
            tasks = [t for t in target.tasks if task_slug in (None, t.slug)]
            if not tasks:
                missing = f"no task {task_slug!r} in" if task_slug else "no tasks yet in"
                raise CliError(f"{missing} {event_slug!r}")
            boards = [current_board(session, target, t, Board(board)) for t in tasks]
    if fmt == "json":
        click.echo(
            json.dumps(boards if len(boards) > 1 else boards[0], ensure_ascii=False, indent=2)
        )
        return
    for data in boards:
        if fmt == "csv":
            header = ["task", "rank", "team", "score", "submissions", "last_submission_at"]
            lines = [
                [
                    data["task"],
                    r["rank"],
                    r["team"],
                    r["score"],
                    r.get("submissions", ""),
                    r.get("last_submission_at", ""),
                ]
                for r in data["rows"]
            ]
            sys.stdout.write(csv_text([header, *lines]))
            continue
        click.echo(f"{data['task']} ({data['board']}, v{data['version']})")
        for line in _board_table(data, zone):
            click.echo(line)


TEAM_COLUMNS = 30  # a longer team name is cut: the table stays within a wide terminal


def _board_table(data: dict, timezone: str) -> list[str]:
    """A board as a table with a header, lined up by display width: a Korean name takes two
    columns a character, so padding by ``len`` pushed the scores after it out of line."""
    from datetime import datetime

    from app.cli.terminal import clip, event_time, table

    def when(text: str | None) -> str:
        # The API's UTC ("…Z"), on the event's clock as every other time the CLI prints.
        return event_time(datetime.fromisoformat(text), timezone, offset=False) if text else ""

    header = ["rank", "team", "score"]
    final = data["board"] == "final"
    if not final:
        header += ["submissions", "last submission"]
    rows = []
    for r in data["rows"]:
        score = "—" if r["score"] is None else f"{r['score']:.{data['decimals']}f}"
        row = [str(r["rank"] or "-"), clip(r["team"], TEAM_COLUMNS), score]
        if not final:
            row += [str(r.get("submissions", "")), when(r.get("last_submission_at"))]
        rows.append(row)
    return table(header, rows, right={0, 2, 3})


from app.cli import tokens  # noqa: E402,F401  (registers `hackjudge token`)

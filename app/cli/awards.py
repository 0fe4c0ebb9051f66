"""``hackjudge awards`` and ``hackjudge certificates``: the prizes from the command line
(issue 17). A CLI in embedded mode has nobody to push to: projectors show the awards when
next loaded."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli import CliError, configured_db, main
from app.cli.actor import acting_as, cli_actor
from config import Settings
from core.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES


@main.command()
@click.argument("event_slug")
@click.option(
    "--by-rank",
    metavar="NAMES",
    help="Comma-separated awards for ranks 1, 2, … of the final ranking, each with how "
    "many teams receive it (1 when left out), e.g. '대상,최우수상,우수상' or "
    "'대상 1,최우수상 2,우수상 3' (replaces the last giving by rank).",
)
@click.option("--give", metavar="NAME", help="An award given by hand (with --team).")
@click.option("--team", metavar="TEAM", help="The team's name, for --give.")
@click.option("--remove", "remove_id", type=int, metavar="ID", help="Take award ID back.")
@acting_as
def awards(
    event_slug: str,
    by_rank: str | None,
    give: str | None,
    team: str | None,
    remove_id: int | None,
    acting_as: str | None,
) -> None:
    """List the event's awards; give them by the final ranking or by hand, or take one back."""
    from sqlalchemy import select

    from core.db import utcnow
    from core.models import Team
    from organize.events import event_by_slug
    from review import awards as engine

    if sum(x is not None for x in (by_rank, give, remove_id)) > 1:
        raise CliError("give one of --by-rank, --give and --remove")
    if (give is None) != (team is None):
        raise CliError("--give NAME and --team TEAM go together")
    try:
        with configured_db(Settings()).begin() as session:
            event = event_by_slug(session, event_slug)
            if by_rank is not None or give is not None or remove_id is not None:
                actor = cli_actor(session, acting_as)
            if by_rank is not None:
                engine.by_rank(session, event, actor, engine.places(by_rank), utcnow())
            elif give is not None:
                found = session.scalars(
                    select(Team).where(Team.event_id == event.id, Team.name == team)
                ).first()
                if found is None:
                    raise CliError(f"no team {team!r} in {event_slug}")
                engine.give(session, event, actor, give, found.id, utcnow())
            elif remove_id is not None:
                engine.remove(session, event, actor, remove_id)
            session.flush()
            rows = engine.as_json(session, event)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for row in rows:
        rank = f"#{row['rank']}" if row["rank"] is not None else "-"
        click.echo(f"{row['id']:>4} {row['name'][:100]:<12} {rank:<4} {row['team'] or '-'}")


@main.command()
@click.argument("event_slug")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write team-<id>.pdf into (made if missing).",
)
@click.option(
    "--lang",
    type=click.Choice(SUPPORTED_LOCALES),
    default=DEFAULT_LOCALE,
    show_default=True,
    help="The certificates' language.",
)
def certificates(event_slug: str, out_dir: Path, lang: str) -> None:
    """Every visible team's certificates, a PDF per team (a page per award and member)."""
    from sqlalchemy import select

    from core.models import Team
    from organize.events import event_by_slug
    from review import certificates as engine

    try:
        with configured_db(Settings()).begin() as session:
            event = event_by_slug(session, event_slug)
            teams = session.scalars(
                select(Team)
                .where(Team.event_id == event.id, Team.hidden.is_(False))
                .order_by(Team.id)
            )
            pages = {team.id: engine.of_team(session, event, team, lang) for team in teams}
    except ValueError as exc:
        raise CliError(str(exc)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    for team_id, team_pages in pages.items():
        path = out_dir / f"team-{team_id}.pdf"  # an id, never a team's chosen name, as a path
        path.write_bytes(engine.render(team_pages))
        click.echo(f"{path} ({len(team_pages)} pages, {team_pages[0].team[:100]})")

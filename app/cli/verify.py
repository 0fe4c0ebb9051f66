"""``hackjudge verify``: winners' code verification from the command line (issue 16)."""

from __future__ import annotations

import time

import click

from app.cli import CliError, configured_db, main
from app.cli.actor import acting_as, cli_actor
from config import Settings

POLL_S = 0.5


def _line(row: dict) -> str:
    """One verdict as a line: task, team, verdict, scores, rows that differ, the reason."""
    parts = [f"{row['task']:<12} {row['team']:<20} {row['status']:<10}"]
    if row["reproduced_score"] is not None:
        parts.append(f"reproduced {row['reproduced_score']!r} (pick {row['picked_score']!r})")
    if row["share_differing"] is not None:
        gap = row["max_difference"]
        parts.append(
            f"{row['rows_differing']}/{row['rows']} rows differ"
            + (f" (at most {gap:.2g})" if gap else "")
        )
    if row["message"]:
        parts.append(row["message"])
    return " · ".join(parts)


@main.command()
@click.argument("event_slug")
@click.option("--top", type=click.IntRange(1, 1000), default=3, show_default=True)
@click.option("--timeout", default=6 * 3600.0, show_default=True, help="Seconds to wait.")
@acting_as
def verify(event_slug: str, top: int, timeout: float, acting_as: str | None) -> None:
    """Run the code attached to the top N teams' final picks on the hidden inputs and compare
    each output with its pick; prints each verdict (exit 1 if any is not reproduced)."""
    from core.models import VERDICTS, Event
    from judge.code_runs import sandbox_problem
    from organize.events import event_by_slug
    from review import verifications

    settings = Settings()
    db = configured_db(settings)
    if not settings.production and (problem := sandbox_problem()) is not None:
        raise CliError(f"code cannot run here: the sandbox does not work: {problem}")
    try:
        with db.begin() as session:
            actor = cli_actor(session, acting_as)
            event = event_by_slug(session, event_slug)
            started = verifications.start(session, event, actor, top)
            queued = [c.id for c in started.queued]
            ids = started.covered
    except ValueError as exc:
        raise CliError(str(exc)) from None
    standing = len(ids) - len(queued)
    click.echo(
        f"verifying {len(queued)} final picks"
        + (f" ({standing} already verified or on their way)" if standing else ""),
        err=True,
    )
    if settings.production:
        from redis import Redis

        from judge.runner import RQDispatcher

        dispatcher = RQDispatcher(
            Redis.from_url(settings.redis_url), settings.queue_name, settings.job_timeout
        )
        for check_id in queued:
            dispatcher.enqueue_verification(check_id)
    else:
        from judge.jobs import JudgeContext, set_context
        from judge.verify import record_fault, verify_pick
        from scoreboard.publish import NoEmitter, Publisher

        set_context(
            JudgeContext(
                db=db, storage_dir=settings.storage_dir, publisher=Publisher(NoEmitter(), db)
            )
        )
        for check_id in queued:
            try:
                verify_pick(check_id)
            except Exception as exc:
                record_fault(check_id, f"{type(exc).__name__}: {exc}")
    deadline = time.monotonic() + timeout
    shown: set[int] = set()
    while True:
        with db.begin() as session:
            event = session.get(Event, event.id)
            rows = [r for r in verifications.listing(session, event) if r["id"] in ids]
        for row in rows:
            if row["status"] in VERDICTS and row["id"] not in shown:
                shown.add(row["id"])
                click.echo(_line(row))
        if len(shown) == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    if len(shown) < len(ids):
        raise CliError(f"{len(ids) - len(shown)} verifications still running; see the console")
    if any(r["status"] != "reproduced" for r in rows):
        raise CliError("not every pick was reproduced")

"""The ``hackjudge`` command line (SPEC §8): servers, workers and the organizer's commands."""

from __future__ import annotations

import logging
import os
import sys

import click

from config import Settings


class CliError(click.ClickException):
    """One clear line and a non-zero exit."""


def cli_publisher(settings: Settings, db):  # noqa: ANN001,ANN201
    """A publisher for CLI commands: through Redis to every web node, or nowhere (embedded)."""
    from scoreboard.publish import NoEmitter, Publisher

    if settings.redis_url:
        return Publisher(queue_emitter(settings), db, min_interval=0)
    return Publisher(NoEmitter(), db)


def queue_emitter(settings: Settings):  # noqa: ANN201
    """Emits through the Redis message queue to whichever web node holds each client
    (Flask-SocketIO with no app: workers and CLI commands)."""
    from flask_socketio import SocketIO

    # Write-only, so threading: left unset, Flask-SocketIO would pick gevent once installed.
    return SocketIO(
        message_queue=settings.redis_url,
        channel=settings.socketio_channel,
        async_mode="threading",
    )


@click.group()
def main() -> None:
    """hackjudge — judging and live scoreboard for AI hackathons."""


def configured_db(settings: Settings):  # noqa: ANN201
    """The shared Database, configured for ``settings`` (no Flask app needed)."""
    from app.extensions import db

    if db.url != settings.database_url:
        db.configure(settings.database_url)
    return db


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from migrations import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    click.echo("database is at the latest schema")


def run_server(settings: Settings, host: str, port: int, before_serving=None) -> None:  # noqa: ANN001
    from app import create_app, serving
    from app.extensions import socketio
    from migrations import upgrade

    try:
        options = serving.server_options(settings.async_mode)
    except serving.ServingError as error:
        raise CliError(str(error)) from error
    upgrade(settings.database_url)
    app = create_app(settings)
    if before_serving is not None:
        before_serving(app)
    mode = "production (RQ + Redis)" if settings.production else "embedded (SQLite, threads)"
    files = serving.raise_open_files_limit()
    serving.tune_garbage_collector()
    click.echo(
        f"hackjudge serving on http://{host}:{port}/ — {mode}, "
        f"async mode {socketio.server.eio.async_mode}, open files {files}",
        err=True,
    )
    socketio.run(app, host=host, port=port, **options)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the web and Socket.IO server (applies migrations first)."""
    run_server(Settings(), host, port)


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option(
    "--queue",
    "serves",
    type=click.Choice(["scores", "code"]),
    default="scores",
    show_default=True,
    help="scores: prediction files (and their intervals); code: code tasks' programs, "
    "in the sandbox (checked first: a worker whose sandbox fails runs nothing).",
)
def worker(burst: bool, serves: str) -> None:
    """Run an RQ scoring worker (production mode); it lives through Redis outages."""
    from redis import Redis
    from rq import Queue
    from rq.defaults import DEFAULT_WORKER_TTL

    from app.runtime import REDIS_TIMEOUT_S, board_slots
    from judge import code_runs
    from judge.heartbeat import Heartbeat
    from judge.jobs import JudgeContext, set_context
    from judge.runner import RQDispatcher, code_queue_name, interval_queue_name
    from judge.worker import JudgeWorker, work_through_outages
    from scoreboard.publish import Publisher

    settings = Settings()
    if not settings.redis_url:
        raise CliError("hackjudge worker needs HACKJUDGE_REDIS_URL (production mode).")
    if serves == "scores":
        # The web node's answers first (config). Not teams' programs: their time limit is
        # the wall clock's, which a lower priority would spend on a busy machine.
        os.nice(settings.worker_nice)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    db = configured_db(settings)
    # Enqueues and the board slots: a client of its own, with the web node's short timeouts
    # (the RQ worker's own waits long in BLPOP, see below).
    short = Redis.from_url(
        settings.redis_url,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
    )
    if serves == "code":
        # Never team code without the sandbox: the self-test first, its verdict where the
        # organizers' dashboard and the upload of a program read it.
        problem = code_runs.sandbox_problem()
        code_runs.report_sandbox(short, settings.queue_name, problem)
        if problem is not None:
            raise CliError(f"code tasks refused: the sandbox does not work here: {problem}")
    context = JudgeContext(
        db=db,
        storage_dir=settings.storage_dir,
        publisher=Publisher(
            queue_emitter(settings),
            db,
            min_interval=settings.push_interval_ms / 1000,
            shared=board_slots(short, settings),
        ),
        defer_interval=RQDispatcher(
            short, settings.queue_name, settings.job_timeout
        ).enqueue_interval,
    )
    set_context(context)
    beat = Heartbeat(settings.redis_url, context.worker_name).start()
    # RQ waits for jobs in a BLPOP of up to worker_ttl - 15 s, so the worker's own client lets a
    # read last worker_ttl from its first connection on. redis-py >= 6 times reads out after 5 s
    # and RQ raises that only for connections made later: one the heartbeat had opened on a
    # shared client failed every idle BLPOP ("Timeout reading from socket"), and RQ backed off
    # 1, 2, 4 ... 60 s while jobs waited (issue 11). Keepalive notices a dead peer during the
    # long read; the health check pings a connection idle for 30 s before using it again.
    redis = Redis.from_url(
        settings.redis_url,
        socket_timeout=DEFAULT_WORKER_TTL,
        socket_keepalive=True,
        health_check_interval=30,
    )

    def make_worker() -> JudgeWorker:
        # SimpleWorker scores in-process: no fork per job, the truth stays cached between
        # jobs. A new one (a new registration) after each outage (judge.worker).
        # The scoring jobs first; the bootstrap intervals when none waits.
        if serves == "code":
            queues = [Queue(code_queue_name(settings.queue_name), connection=redis)]
        else:
            queues = [
                Queue(settings.queue_name, connection=redis),
                Queue(interval_queue_name(settings.queue_name), connection=redis),
            ]
        rq_worker = JudgeWorker(queues, connection=redis, worker_ttl=DEFAULT_WORKER_TTL)
        rq_worker.beat = beat
        if serves == "scores":
            rq_worker.scores_only = [Queue(settings.queue_name, connection=redis)]
            rq_worker.quiet_key = f"hackjudge:{settings.queue_name}:last-scoring-job"
        return rq_worker

    try:
        work_through_outages(
            make_worker, redis, burst=burst, with_scheduler=True, logging_level="WARNING"
        )
    finally:
        beat.stop()


@main.command("sandbox-check")
def sandbox_check() -> None:
    """Check that this machine runs teams' code safely: bubblewrap, the runtime, the limits."""
    from judge import sandbox_check

    problem = sandbox_check.self_test()
    for line in sandbox_check.describe():
        click.echo(line)
    if problem:
        raise CliError(f"the sandbox does not work here: {problem}")
    click.echo("sandbox ok")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(0, 64))
@click.option(
    "--code-workers",
    default=0,
    show_default=True,
    type=click.IntRange(0, 64),
    help="Workers for code tasks' programs (`hackjudge worker --queue code`).",
)
def supervise(host: str, port: int, workers: int, code_workers: int) -> None:
    """Run the web node and N workers; restart any that dies (production, without systemd)."""
    from app.supervise import Supervisor, hackjudge_command

    settings = Settings()
    if (workers or code_workers) and not settings.redis_url:
        raise CliError("workers need HACKJUDGE_REDIS_URL (production mode); or --workers 0.")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    commands = {"web": hackjudge_command("serve", "--host", host, "--port", str(port))}
    commands |= {f"worker-{i}": hackjudge_command("worker") for i in range(1, workers + 1)}
    commands |= {
        f"code-worker-{i}": hackjudge_command("worker", "--queue", "code")
        for i in range(1, code_workers + 1)
    }
    sys.exit(Supervisor(commands).run())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-bots", is_flag=True, help="Seed the demo but let no bot teams submit.")
@click.option("--verbose", is_flag=True, help="Print every request too (the access log).")
def demo(host: str, port: int, no_bots: bool, verbose: bool) -> None:
    """Embedded demo: seeded event from scikit-learn data sets, bot teams submitting.

    Each run starts afresh: the previous demo's data and passwords are replaced.
    """
    from app.demo import port_taken, prepare_demo, quiet_console, when_listening
    from app.demo_bots import start_bots

    # Before the wipe: a demo already running there keeps its data, and this one says why not.
    if port_taken(host, port):
        raise CliError(f"{host}:{port} is in use (a demo already running?); choose --port")
    settings = prepare_demo()

    def seed(app) -> None:  # noqa: ANN001
        from app.demo import seed_demo

        quiet_console(verbose)  # before the seeding fits its first model
        credentials = seed_demo(settings)
        logins = credentials.write_logins(settings.instance_dir, host, port)
        block = credentials.describe(host, port, logins)
        # Printed once the server listens: after its start-up lines, the last thing on screen.
        when_listening(host, port, lambda: click.echo(block))
        if not no_bots:
            start_bots(app, settings)

    run_server(settings, host, port, before_serving=seed)


from app.cli import admin, awards, live, submit, tasks, verify  # noqa: E402,F401  (registers commands)

if __name__ == "__main__":
    sys.exit(main())

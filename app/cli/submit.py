"""``hackjudge submit``: upload a file to a running server, optionally wait for its score.

Like the Kaggle CLI, the server and token come from the options, else the environment
(``HACKJUDGE_SERVER``, ``HACKJUDGE_TOKEN``), else ``~/.config/hackjudge/config.json``
(``{"server": ..., "token": ...}``; another path in ``HACKJUDGE_CONFIG``).

Requests, the terminal's language and the one-line failures with their exit codes (0 done,
1 refused or invalid, 2 unreadable file, 3 server unreachable) are ``app.cli.http``'s; its
docstring has the full table.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

import click
import requests
import socketio
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from app.cli import CliError, main
from app.cli.http import (
    Unreachable,
    Unreadable,
    body_of,
    call,
    config_path,
    expect,
    headers,
    language,
    refusal,
    say,
    why_unreadable,
)

DONE = ("scored", "invalid", "failed")
RETRY_PAUSE_S = 1.0  # before asking again after a lost reply (a web node restarting)


class Unanswered(Unreachable):
    """The whole upload went out but no reply came back: the server may have it."""


class LiveRefused(Exception):
    """The Socket.IO channel said no; only the REST API can tell why (see ``diagnose``)."""


def resolve(server: str | None, token: str | None) -> tuple[str, str]:
    """The server and token: options, then environment, then the config file."""
    saved: Any = {}
    path = config_path()
    if path.exists():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CliError(say("unreadable", file=path, reason=why_unreadable(exc))) from None
        except ValueError:
            saved = None  # said below, with a JSON list or string
        if not isinstance(saved, dict):
            raise CliError(say("unreadable", file=path, reason=say("not_json")))
    server = server or os.environ.get("HACKJUDGE_SERVER") or saved.get("server")
    token = token or os.environ.get("HACKJUDGE_TOKEN") or saved.get("token")
    if not server or not token:
        raise CliError(say("no_settings", path=path))
    # Checked here, so that requests' "No connection adapters were found" never shows.
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(say("bad_server", server=server))
    return server.rstrip("/"), token


def diagnose(server: str, token: str, event: str) -> None:
    """Raise why the live channel refused us, asked of the REST API, which says why."""
    # A submission that cannot exist, asked with the token: 401 for a wrong token, hackjudge's
    # JSON 404 for a good one, anything else from a server that is not hackjudge.
    reply = call(
        "get", f"{server}/api/v1/submissions/0", server, headers=headers(token), timeout=30
    )
    if reply.status_code != 404 or not isinstance((body_of(reply) or {}).get("error"), dict):
        raise refusal(reply, server)
    # Then the event, which the live channel subscribes to: 404 with the server's message.
    url = f"{server}/api/v1/events/{quote(event, safe='')}/leaderboard"
    expect(call("get", url, server, headers=headers(token), timeout=30), server, 200)


class Listener:
    """The team's ``submission`` events, collected from before the upload starts."""

    def __init__(self, server: str, token: str, event: str) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.event = event
        self.client = socketio.Client(reconnection=True)
        self.client.on("submission", self.events.put, namespace="/live")
        # After a reconnection (a web node restarted) the rooms must be joined again.
        self.client.on("connect", self._resubscribe, namespace="/live")
        self.connected_once = False
        try:
            self.client.connect(
                server,
                namespaces=["/live"],
                auth={"token": token},
                wait_timeout=15,
                transports=["websocket", "polling"],
            )
            ack = self.client.call("subscribe", {"event": event}, namespace="/live", timeout=15)
        except socketio.exceptions.SocketIOError as exc:
            # Refused, unreachable and not-Socket.IO all read "Connection error" here.
            self.close()
            raise LiveRefused(str(exc) or type(exc).__name__) from None
        if not ack or not ack.get("ok"):
            self.close()
            raise LiveRefused((ack or {}).get("error") or "no answer")
        self.connected_once = True

    def _resubscribe(self) -> None:
        if self.connected_once:
            self.client.emit("subscribe", {"event": self.event}, namespace="/live")
            self.events.put({"id": None, "status": "reconnected"})  # wakes wait() to re-check

    def wait(
        self,
        submission_id: str | int,
        timeout: float,
        check: Callable[[], dict[str, Any]] | None = None,
    ) -> dict[str, Any] | None:
        """The final message about ``submission_id``; ``check`` asks the API after a gap."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if message["status"] == "reconnected" and check is not None:
                # Messages may have been lost while disconnected: ask once.
                current = check()
                if current.get("status") in DONE:
                    return current
            elif message["id"] == submission_id and message["status"] in DONE:
                return message
        return None

    def close(self) -> None:
        self.client.disconnect()


def open_file(file: Path) -> IO[bytes]:
    """The file to upload, opened before any connection: a typo fails at once, offline."""
    try:
        return file.open("rb")
    except OSError as exc:
        raise Unreadable(say("unreadable", file=file, reason=why_unreadable(exc))) from None


def upload(
    url: str, server: str, token: str, handle: IO[bytes], note: str, key: str
) -> requests.Response:
    name = Path(handle.name).name
    encoder = MultipartEncoder({"file": (name, handle, "text/csv"), "note": note})
    # Off a terminal click shows no bar, only its label: a stray line before any error.
    with click.progressbar(
        length=encoder.len,
        label=f"uploading {name}",
        file=click.get_text_stream("stderr"),
        hidden=not click.get_text_stream("stderr").isatty(),
    ) as bar:
        sent = 0

        def progress(monitor: MultipartEncoderMonitor) -> None:
            nonlocal sent
            bar.update(monitor.bytes_read - sent)
            sent = monitor.bytes_read

        body = MultipartEncoderMonitor(encoder, progress)
        sent_headers = headers(token, **{"Content-Type": body.content_type, "Idempotency-Key": key})
        try:
            return call("post", url, server, data=body, headers=sent_headers, timeout=(10, 600))
        except Unreachable as exc:
            if sent >= encoder.len:  # all of it went out: the reply is what was lost
                raise Unanswered(exc.message) from None
            raise


@main.command()
@click.argument("event_slug")
@click.argument("task_slug")
# Not exists=True: click's refusal is a usage block of several lines; open_file says it in one.
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--server", help="e.g. https://judge.example.kr (or HACKJUDGE_SERVER)")
@click.option("--token", help="API token (or HACKJUDGE_TOKEN)")
@click.option("--note", default="", help="A note kept with the submission.")
@click.option("--wait", is_flag=True, help="Wait for the score (exit 1 if the file is invalid).")
@click.option("--timeout", default=900.0, show_default=True, help="Seconds to wait.")
def submit(
    event_slug: str,
    task_slug: str,
    file: Path,
    server: str | None,
    token: str | None,
    note: str,
    wait: bool,
    timeout: float,
) -> None:
    """Upload a prediction file; with --wait, print its public score or its error.

    Exit codes: 1 refused or invalid, 2 unreadable file, 3 server unreachable or not hackjudge.
    """
    base, secret = resolve(server, token)
    with open_file(file) as handle:
        listener = None
        if wait:
            # Listen before uploading, so a fast score cannot slip past.
            try:
                listener = Listener(base, secret, event_slug)
            except LiveRefused as exc:
                diagnose(base, secret, event_slug)
                # The REST API saw nothing wrong: only the live channel is out of order.
                raise Unreachable(say("live", server=base, reason=exc)) from None
        try:
            result = send(base, secret, event_slug, task_slug, handle, note, listener, timeout)
        finally:
            if listener is not None:
                listener.close()
    if result is not None:
        report(result)


def send(
    base: str,
    secret: str,
    event_slug: str,
    task_slug: str,
    handle: IO[bytes],
    note: str,
    listener: Listener | None,
    timeout: float,
) -> dict[str, Any] | None:
    """Upload; without a listener print the reply, with one return the final result."""
    event, task = quote(event_slug, safe=""), quote(task_slug, safe="")
    url = f"{base}/api/v1/events/{event}/tasks/{task}/submissions"
    # One key per invocation: a retry is this upload again, never a second one.
    key = secrets.token_urlsafe(24)
    try:
        reply = upload(url, base, secret, handle, note, key)
    except Unanswered:
        # The server may have committed it before the connection died: asked again with the
        # same key, it answers with that submission (or makes it, if it never arrived).
        time.sleep(RETRY_PAUSE_S)
        handle.seek(0)
        reply = upload(url, base, secret, handle, note, key)
    body = expect(reply, base, 202)
    if not isinstance(body.get("id"), str | int) or isinstance(body["id"], bool):
        raise Unreachable(say("not_hackjudge", server=base, status=202))
    # The team's own number, as its page shows it (the id is opaque: app.serialize).
    click.echo(f"submission {body.get('number') or body['id']} queued", err=True)
    if listener is None:
        click.echo(json.dumps(body, ensure_ascii=False))
        return None

    def check() -> dict[str, Any]:
        reply = call(
            "get",
            f"{base}/api/v1/submissions/{body['id']}",
            base,
            headers=headers(secret),
            timeout=30,
        )
        return expect(reply, base, 200)

    result = listener.wait(body["id"], timeout, check)
    if result is None:  # the live channel said nothing in time: ask once
        result = check()
    return result


def report(result: dict[str, Any]) -> None:
    status = result.get("status")
    if status == "scored":
        click.echo(f"scored: public score {result['public_score']!r}")
        return
    if status in ("invalid", "failed"):
        # A live push carries the message in every language; the API answers in ours.
        error = (result.get("errors") or {}).get(language()) or result.get("error")
        raise CliError(f"{status}: {error or say('unscored')}")
    raise CliError(say("still", status=status))

"""``hackjudge submit``: upload a file to a running server, optionally wait for its score.

Like the Kaggle CLI, the server and token come from the options, else the environment
(``HACKJUDGE_SERVER``, ``HACKJUDGE_TOKEN``), else ``~/.config/hackjudge/config.json``
(``{"server": ..., "token": ...}``; another path in ``HACKJUDGE_CONFIG``).

The server's messages (refusals, validation errors) come in the terminal's language: Korean
when ``HACKJUDGE_LANG``, ``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` (the first one set) starts
with ``ko``, else English.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import time
from pathlib import Path
from typing import Any

import click
import requests
import socketio
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from app.cli import CliError, main

DONE = ("scored", "invalid", "failed")


DEFAULT_CONFIG = "~/.config/hackjudge/config.json"


def language() -> str:
    """``ko`` for a Korean terminal, else ``en``."""
    for name in ("HACKJUDGE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": language(), **extra}


def config_path() -> Path:
    return Path(os.environ.get("HACKJUDGE_CONFIG") or DEFAULT_CONFIG).expanduser()


def resolve(server: str | None, token: str | None) -> tuple[str, str]:
    """The server and token: options, then environment, then the config file."""
    saved: dict[str, Any] = {}
    path = config_path()
    if path.exists():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read {path}: {exc}") from None
    server = server or os.environ.get("HACKJUDGE_SERVER") or saved.get("server")
    token = token or os.environ.get("HACKJUDGE_TOKEN") or saved.get("token")
    if not server or not token:
        raise CliError(
            f"give --server and --token, set HACKJUDGE_SERVER and HACKJUDGE_TOKEN, or write "
            f'{{"server": ..., "token": ...}} to {path}'
        )
    return server.rstrip("/"), token


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
        self.client.connect(
            server,
            namespaces=["/live"],
            auth={"token": token},
            wait_timeout=15,
            transports=["websocket", "polling"],
        )
        ack = self.client.call("subscribe", {"event": event}, namespace="/live", timeout=15)
        if not ack or not ack.get("ok"):
            raise CliError(f"cannot follow {event!r}: {(ack or {}).get('error', 'no answer')}")
        self.connected_once = True

    def _resubscribe(self) -> None:
        if self.connected_once:
            self.client.emit("subscribe", {"event": self.event}, namespace="/live")
            self.events.put({"id": None, "status": "reconnected"})  # wakes wait() to re-check

    def wait(self, submission_id: int, timeout: float, check=None) -> dict[str, Any] | None:  # noqa: ANN001
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


def upload(url: str, token: str, file: Path, note: str) -> requests.Response:
    with file.open("rb") as handle:
        encoder = MultipartEncoder({"file": (file.name, handle, "text/csv"), "note": note})
        with click.progressbar(
            length=encoder.len, label=f"uploading {file.name}", file=sys.stderr
        ) as bar:
            sent = 0

            def progress(monitor: MultipartEncoderMonitor) -> None:
                nonlocal sent
                bar.update(monitor.bytes_read - sent)
                sent = monitor.bytes_read

            body = MultipartEncoderMonitor(encoder, progress)
            return requests.post(
                url,
                data=body,
                headers=headers(token, **{"Content-Type": body.content_type}),
                timeout=(10, 600),
            )


@main.command()
@click.argument("event_slug")
@click.argument("task_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
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
    """Upload a prediction file; with --wait, print its public score or its error."""
    base, secret = resolve(server, token)
    # Listen before uploading, so a fast score cannot slip past.
    listener = Listener(base, secret, event_slug) if wait else None
    try:
        reply = upload(
            f"{base}/api/v1/events/{event_slug}/tasks/{task_slug}/submissions", secret, file, note
        )
        try:
            body = reply.json()
        except ValueError:
            raise CliError(f"the server answered {reply.status_code}: {reply.text[:200]}") from None
        if reply.status_code != 202:
            raise CliError(body.get("error", {}).get("message", f"HTTP {reply.status_code}"))
        click.echo(f"submission {body['id']} queued", err=True)
        if listener is None:
            click.echo(json.dumps(body, ensure_ascii=False))
            return

        def check() -> dict[str, Any]:
            return requests.get(
                f"{base}/api/v1/submissions/{body['id']}",
                headers=headers(secret),
                timeout=30,
            ).json()

        result = listener.wait(body["id"], timeout, check)
        if result is None:  # the live channel said nothing in time: ask once
            result = check()
    finally:
        if listener is not None:
            listener.close()
    report(result)


def report(result: dict[str, Any]) -> None:
    status = result.get("status")
    if status == "scored":
        click.echo(f"scored: public score {result['public_score']!r}")
        return
    if status in ("invalid", "failed"):
        # A live push carries the message in every language; the API answers in ours.
        error = (result.get("errors") or {}).get(language()) or result.get("error")
        raise CliError(f"{status}: {error or 'the platform failed to score it'}")
    raise CliError(f"still {status} after waiting; check it later with the API")

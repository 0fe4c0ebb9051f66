"""The API as a user drives it, in one place (in the spirit of flaskr's ``AuthActions``).

``Api`` speaks for a seeded ``Contest``, to a running server over HTTP (``Api(server,
contest)``: answers are ``requests`` responses) or to the in-process app through Flask's test
client (``Api(client, contest, app)``: answers are Werkzeug test responses), so a test reads
its answers as it always did. Beside it: the bearer headers, a live viewer of the boards and
the draining of the pushes it received.
"""

from __future__ import annotations

import io
import queue
import re
import zlib
from typing import Any

import requests
import socketio
from flask import Flask
from flask.testing import FlaskClient

from core.models import FINISHED
from tests.helpers import Contest, Proc, prediction_csv, settle, wait_for

LIVE = "/live"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def bearer(token: str | None, lang: str | None = None) -> dict[str, str]:
    """The headers of a request signed with an API token (none for ``None``); ``lang`` asks
    for the answers' language."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if lang:
        headers["Accept-Language"] = lang
    return headers


def csrf_token(html: str) -> str:
    """The CSRF token of the sign-in form on a page."""
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token on the login page"
    return match.group(1)


def watch(
    url: str, event: str | None = None, token: str | None = None
) -> tuple[socketio.Client, queue.Queue]:
    """A live viewer on ``url``'s ``/live`` namespace (signed in with ``token``, if any) and
    the boards pushed to it; subscribed to ``event``'s boards when one is given."""
    client = socketio.Client(reconnection=False)
    boards: queue.Queue = queue.Queue()
    client.on("leaderboard", boards.put, namespace=LIVE)
    client.connect(
        url,
        namespaces=[LIVE],
        transports=["websocket"],
        auth={"token": token} if token else None,
        wait_timeout=10,
    )
    if event is not None:
        client.call("subscribe", {"event": event}, namespace=LIVE, timeout=10)
    return client, boards


def drain(inbox: queue.Queue) -> list[Any]:
    """Everything received so far, oldest first; the queue is left empty."""
    out = []
    while not inbox.empty():
        out.append(inbox.get_nowait())
    return out


class Api:
    """A team's or the staff's moves on one contest's REST API.

    ``target``: a running server (a ``Proc`` or its URL), or a Flask test client; ``app``, for
    a test client, lets ``settle`` wait for the app's scoring jobs; ``http``, for a server, is
    the ``requests`` session to send with (a browser of its own: cookies, source address).
    """

    def __init__(
        self,
        target: Proc | str | FlaskClient,
        contest: Contest | None = None,
        app: Flask | None = None,
        *,
        http: requests.Session | None = None,
    ) -> None:
        self.contest = contest
        self.app = app
        if isinstance(target, FlaskClient):
            self.client: FlaskClient | None = target
            self.base = ""
        else:
            self.client = None
            self.base = target.url if isinstance(target, Proc) else target
        self.http = http if http is not None else requests

    # --- as a team -------------------------------------------------------------------------

    def token(self, team: str) -> str:
        assert self.contest is not None
        return self.contest.tokens[team]

    def staff_token(self, role: str = "organizer") -> str:
        assert self.contest is not None
        return self.contest.staff_tokens[role]

    def submissions_path(self, task: str | None = None) -> str:
        assert self.contest is not None
        return f"/api/v1/events/{self.contest.event}/tasks/{task or self.contest.task}/submissions"

    def upload(
        self,
        team: str | None,
        body: bytes,
        name: str = "p.csv",
        *,
        token: str | None = None,
        task: str | None = None,
        lang: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
        **form: Any,
    ) -> Any:
        """Upload ``body`` as ``team`` (or with ``token``; neither: anonymously) and return
        the answer as the transport gives it; ``form``: the other form fields (``note``…)."""
        sent = {**bearer(token or (self.token(team) if team else None), lang), **(headers or {})}
        path = self.submissions_path(task)
        if self.client is not None:
            return self.client.post(
                path,
                headers=sent,
                data={"file": (io.BytesIO(body), name), **form},
                content_type="multipart/form-data",
            )
        return self.http.post(
            self.base + path,
            headers=sent,
            files={"file": (name, body, "text/csv")},
            data=form,
            timeout=timeout,
        )

    def submit(self, team: str | None, body: bytes, name: str = "p.csv", **options: Any) -> Any:
        """``upload``, which must be accepted (202); the reference the API gives the file."""
        reply = self.upload(team, body, name, **options)
        shown = reply.get_data(as_text=True) if self.client is not None else reply.text
        assert reply.status_code == 202, shown
        return _json(reply)["id"]

    def entry(self, team: str, noise: float, seed: int | None = None) -> Any:
        """A plausible file from ``team`` (``noise`` away from the truth, shuffled by ``seed``
        or else by the team's name), accepted; with an app, settled (so scored) too."""
        assert self.contest is not None
        seed = zlib.crc32(team.encode()) % 97 if seed is None else seed
        sub_id = self.submit(team, prediction_csv(self.contest.truth, noise, seed))
        if self.app is not None:
            self.settle()
        return sub_id

    # --- a team's project (issue 17) ----------------------------------------------------

    def project_path(self, team_id: int) -> str:
        assert self.contest is not None
        return f"/api/v1/events/{self.contest.event}/teams/{team_id}/project"

    def _call(self, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
        headers = bearer(token, kwargs.pop("lang", None))
        if self.client is not None:
            return self.client.open(path, method=method, headers=headers, **kwargs)
        return self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def project(self, team_id: int, token: str | None) -> Any:
        """The project of team ``team_id`` as ``token``'s holder reads it (the answer)."""
        return self._call("GET", self.project_path(team_id), token)

    def save_project(self, team_id: int, token: str | None, **fields: Any) -> Any:
        return self._call("PUT", self.project_path(team_id), token, json=fields)

    def add_project_file(
        self, team_id: int, token: str | None, body: bytes, name: str, kind: str, **kw: Any
    ) -> Any:
        """Upload ``body`` as the project's ``kind`` (slides | screenshot); the answer."""
        path = self.project_path(team_id) + "/files"
        if self.client is not None:
            data = {"file": (io.BytesIO(body), name), "kind": kind}
            return self._call("POST", path, token, data=data, content_type="multipart/form-data")
        return self._call("POST", path, token, files={"file": (name, body)}, data={"kind": kind})

    # --- as the staff ----------------------------------------------------------------------

    def submission(self, sub_id: Any, token: str | None = None, lang: str | None = None) -> dict:
        """A submission as the API shows it to ``token`` (the organizer by default)."""
        headers = bearer(token or self.staff_token(), lang)
        if self.client is not None:
            return self.client.get(f"/api/v1/submissions/{sub_id}", headers=headers).json
        reply = self.http.get(
            f"{self.base}/api/v1/submissions/{sub_id}", headers=headers, timeout=10
        )
        return reply.json()

    def finished(
        self, sub_id: Any, timeout: float = 60, token: str | None = None, lang: str | None = None
    ) -> dict:
        """Wait until the submission is scored, found invalid or failed; how the API then
        shows it to ``token`` (the organizer by default)."""
        if self.client is not None:
            self.settle()
        return wait_for(
            lambda: (row := self.submission(sub_id, token, lang))["status"] in FINISHED and row,
            timeout,
            f"submission {sub_id} to finish",
        )

    def settle(self) -> None:
        """Wait for the in-process app's scoring jobs and board pushes."""
        assert self.app is not None, "Api(client, contest, app) settles the app"
        settle(self.app)

    # --- as a person at the sign-in form ---------------------------------------------------

    def sign_in(self, email: str, password: str | None = None, query: str = "") -> Any:
        """Fill in the login form as a browser does (``query``: after ``/login``, e.g.
        ``?lang=en`` or ``?next=…``); the answer, not followed (a 302 when it worked)."""
        if password is None:
            assert self.contest is not None
            password = self.contest.passwords[email]
        if self.client is not None:
            page = self.client.get(f"/login{query}").get_data(as_text=True)
            form = {"csrf_token": csrf_token(page), "email": email, "password": password}
            return self.client.post(f"/login{query}", data=form)
        page = self.http.get(f"{self.base}/login{query}", timeout=30).text
        form = {"csrf_token": csrf_token(page), "email": email, "password": password}
        return self.http.post(
            f"{self.base}/login{query}", data=form, allow_redirects=False, timeout=30
        )


def _json(reply: Any) -> Any:
    return reply.json() if callable(reply.json) else reply.json

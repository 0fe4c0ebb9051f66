"""Sign-in under attack (issue 12, items 4, 15, 17, 19): login floods are limited per account
and per address, password checks leave the event loop free and cost the same for unknown
e-mails, chosen passwords follow a policy, ``next`` never leaves the site, signing out ends
the session everywhere, and a bogus bearer never lifts CSRF from a signed-in browser."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from flask.testing import FlaskClient
from requests.adapters import HTTPAdapter
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from config import Settings
from core.models import Role, Submission
from organize.accounts import create_user
from tests.actions import Api
from tests.helpers import (
    ROOT,
    Contest,
    Proc,
    prediction_csv,
    run_cli,
    seed_env,
    server_in,
    wait_for,
)

# The documented defaults (docs/api.md, "Sessions, tokens and sign-in limits").
ACCOUNT_FAILURES = 10  # per account, from any address, per 15 minutes
ADDRESS_FAILURES = 30  # per address, whatever the account, per minute
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class FromAddress(HTTPAdapter):
    """Connections from another loopback address: a second machine, as the server sees it."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser_at(address: str) -> requests.Session:
    http = requests.Session()
    http.mount("http://", FromAddress(address))
    return http


def sign_in(http: requests.Session, base: str, email: str, password: str) -> requests.Response:
    """Sign in as the browser ``http`` (on the English page, so messages can be read)."""
    return Api(base, http=http).sign_in(email, password, "?lang=en")


def test_login_failures_are_limited_per_account_and_per_address(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    # The counters in a Redis database of their own: every test session on the machine flushes
    # the shared one when it starts and ends, which once reset them mid-flood. Keys expire.
    redis_url = urlsplit(production_env["HACKJUDGE_REDIS_URL"])
    env = {**production_env, "HACKJUDGE_REDIS_URL": urlunsplit(redis_url._replace(path="/14"))}
    contest = seed_env(env, tmp_path)
    base = server_in(env, spawned, tmp_path, "web").url
    right = contest.passwords

    # Guesses sent all at once get no further than guesses sent one by one.
    def guess(attempt: int) -> int:
        return sign_in(browser_at("127.0.0.1"), base, "p0@test.kr", f"wrong-{attempt}").status_code

    with ThreadPoolExecutor(ACCOUNT_FAILURES + 6) as pool:
        answers = sorted(pool.map(guess, range(ACCOUNT_FAILURES + 6)))
    # The form again ("wrong e-mail or password") for exactly as many as the limit allows.
    assert answers == [200] * ACCOUNT_FAILURES + [429] * 6
    attacker = browser_at("127.0.0.1")
    locked = sign_in(attacker, base, "p0@test.kr", right["p0@test.kr"])
    assert locked.status_code == 429  # the right password too, until the window passes
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in locked.text  # on the login page, not a bare error
    assert 'name="email"' in locked.text
    # The account is locked from every address: guessing from many machines gains nothing ...
    elsewhere = sign_in(browser_at("127.0.0.2"), base, "p0@test.kr", right["p0@test.kr"])
    assert elsewhere.status_code == 429
    # ... and only that account: another one signs in even from the attacker's address.
    assert sign_in(attacker, base, "p1@test.kr", right["p1@test.kr"]).status_code == 302

    sprayer = browser_at("127.0.0.3")  # one guess at each of many accounts
    for attempt in range(ADDRESS_FAILURES):
        guess = sign_in(sprayer, base, f"guess{attempt}@test.kr", "password-1234")
        assert guess.status_code == 200, attempt
    assert sign_in(sprayer, base, "p2@test.kr", right["p2@test.kr"]).status_code == 429
    # That address alone is slowed down: the same account signs in from another one.
    assert (
        sign_in(browser_at("127.0.0.4"), base, "p2@test.kr", right["p2@test.kr"]).status_code == 302
    )


@pytest.mark.slow  # seconds of password checks
def test_a_locked_account_opens_again_when_its_window_passes(
    settings: Settings, tmp_path: Path
) -> None:
    settings.login_limit_account = "3 per 2 seconds"  # the default's 15 minutes, shortened
    app = create_app(settings, start_background=False)
    app.config.update(TESTING=True)
    with db.begin() as session:
        create_user(session, "judge@test.kr", Role.JUDGE, "correct-horse-battery")
    client = app.test_client()
    for _ in range(3):
        assert Api(client).sign_in("judge@test.kr", "wrong-horse-battery").status_code == 200
    assert Api(client).sign_in("judge@test.kr", "correct-horse-battery").status_code == 429
    # Refused attempts while locked do not extend the lock: it opens when the window ends.
    wait_for(
        lambda: Api(client).sign_in("judge@test.kr", "correct-horse-battery").status_code == 302,
        10,
        "the account to open again",
    )


@pytest.mark.slow  # seconds of password checks
def test_an_unknown_email_costs_the_same_password_check_as_a_known_one(
    client: FlaskClient, contest: Contest, monkeypatch: Any
) -> None:
    checks: list[int] = []
    real_scrypt = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        checks.append(1)
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)

    def scrypt_runs(email: str) -> int:
        before = len(checks)
        assert Api(client).sign_in(email, "wrong-password-123").status_code == 200
        return len(checks) - before

    scrypt_runs("warm-up@test.kr")  # any one-time set-up is done before counting
    # Same work whether or not the account exists: the answer time says nothing about it.
    assert scrypt_runs("nobody@test.kr") == scrypt_runs("p0@test.kr") == 1


GREENLETS = """
from gevent import monkey

monkey.patch_all()  # as `hackjudge serve` does in production

import gevent

from core.models import User
from organize.accounts import password_ok, set_password

user = User(email="someone@test.kr")
set_password(user, "correct horse battery staple")
order = []


def sign_in():
    password_ok(user, "a wrong guess")
    order.append("checked")


def another_request():
    order.append("another request served")


gevent.joinall([gevent.spawn(sign_in), gevent.spawn(another_request)])
print(",".join(order))
"""


@pytest.mark.slow  # a Python process of its own
def test_password_checks_leave_the_event_loop_free() -> None:
    done = subprocess.run(
        [sys.executable, "-c", GREENLETS], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # While one greenlet waits for scrypt, the loop serves the others.
    assert done.stdout.strip() == "another request served,checked"


def test_people_cannot_choose_weak_passwords(embedded_env: dict[str, str]) -> None:
    weak = run_cli(
        embedded_env, "user", "create", "org@test.kr", "--role", "organizer", "--password", "x"
    )
    assert weak.returncode != 0 and "at least 10 characters" in weak.stderr
    common = run_cli(
        embedded_env,
        "user",
        "create",
        "p1@test.kr",
        "--role",
        "participant",
        "--password",
        "iloveyou",
    )
    assert common.returncode != 0 and "most common passwords" in common.stderr
    chosen = run_cli(
        embedded_env,
        "user",
        "create",
        "org@test.kr",
        "--role",
        "organizer",
        "--password",
        "kettle-lamp-42",
    )
    assert chosen.returncode == 0, chosen.stderr
    # Generated passwords are random: nothing to check, and they pass anyway.
    made = run_cli(embedded_env, "user", "create", "p2@test.kr", "--role", "participant")
    assert made.returncode == 0 and "password: " in made.stdout


def test_the_password_policy_by_role() -> None:
    from organize.passwords import PasswordRefused, check_password_policy

    refused = {
        ("org@test.kr", "organizer", "nine-char"): "at least 10 characters",
        ("judge@test.kr", "judge", "12345678"): "at least 10 characters",
        ("org@test.kr", "organizer", "Password123"): "most common passwords",
        ("org3@test.kr", "organizer", "ORG3@test.kr"): "e-mail address",
        ("p1@test.kr", "participant", "1234567"): "at least 8 characters",
        ("p1@test.kr", "participant", "x" * 129): "at most 128 characters",
    }
    reasons = {}
    for (email, role, password), _reason in refused.items():
        try:
            check_password_policy(password, email, role)
            reasons[(email, role, password)] = "accepted"
        except PasswordRefused as refusal:
            reasons[(email, role, password)] = next(
                (r for r in refused.values() if r in refusal.english()), refusal.english()
            )
    assert reasons == refused
    check_password_policy("8chars!x", "p1@test.kr", "participant")  # raises if refused
    check_password_policy("kettle-lamp-42", "org@test.kr", "organizer")


# Ways to write an address that a browser follows off the site; each must land on "/".
OFF_SITE = [
    "/%09/evil.example",  # the reported one: browsers drop the tab, leaving //evil.example
    "/%0a/evil.example",
    "/%0d/evil.example",
    "%09//evil.example",
    "%20//evil.example",
    "//evil.example",
    "///evil.example",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/%5C/evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "//evil.example@localhost",
    "/%00/evil.example",
]


@pytest.mark.slow  # seconds of password checks
def test_login_never_redirects_off_site(client: FlaskClient, contest: Contest) -> None:
    followed = {}
    for target in OFF_SITE:
        reply = Api(client).sign_in(
            "p0@test.kr", contest.passwords["p0@test.kr"], f"?next={target}"
        )
        followed[target] = (reply.status_code, reply.headers.get("Location"))
    assert followed == {target: (302, "/") for target in OFF_SITE}
    # A page of the site itself is where the user goes back to.
    back = "/events/test-event/team?task=t1"
    reply = Api(client).sign_in("p0@test.kr", contest.passwords["p0@test.kr"], f"?next={back}")
    assert reply.headers["Location"] == back


def test_the_language_switch_never_redirects_off_site(client: FlaskClient) -> None:
    """It goes back to the referring page: only when that page is this site's."""
    here = "http://localhost"  # the test client's host
    referrers = {
        "http://evil.example/events/x": "/",
        f"{here}.evil.example/x": "/",
        f"{here}//evil.example": "/",
        f"{here}/events/test-event/team?task=t1": "/events/test-event/team?task=t1",
        None: "/",
    }
    went = {}
    for referrer in referrers:
        headers = {"Referer": referrer} if referrer else {}
        reply = client.get("/lang/en", headers=headers)
        went[referrer] = reply.headers.get("Location")
    assert went == referrers


def submissions_stored() -> int:
    with db.begin() as session:
        return session.scalar(select(func.count(Submission.id)))


def test_a_bogus_bearer_never_lifts_csrf_from_a_signed_in_browser(
    client: FlaskClient, contest: Contest
) -> None:
    assert Api(client).sign_in("p0@test.kr", contest.passwords["p0@test.kr"]).status_code == 302
    url = f"/api/v1/events/{contest.event}/tasks/{contest.task}/submissions?lang=en"
    body = prediction_csv(contest.truth, 0.3, 1)

    def upload(**headers: str) -> Any:
        return client.post(
            url,
            headers=headers,
            data={"file": (io.BytesIO(body), "p.csv")},
            content_type="multipart/form-data",
        )

    forged = upload(Authorization="Bearer x")  # the session cookie rides along, no CSRF token
    assert forged.status_code == 400 and "security token" in forged.json["error"]["message"]
    assert submissions_stored() == 0
    # A real token is a credential of its own: no cookie, no CSRF token needed.
    client.delete_cookie("session")
    client.delete_cookie("remember_token")
    token = upload(Authorization=f"Bearer {contest.tokens['팀1']}")
    assert token.status_code == 202 and token.json["team"] == "팀1"


def signed_in(base: str, cookies: dict[str, str]) -> bool:
    """Does the server take these cookies as a signed-in user? (401 means anonymous.)"""
    reply = requests.get(f"{base}/api/v1/submissions/999999", cookies=cookies, timeout=30)
    assert reply.status_code in (401, 404), reply.text
    return reply.status_code == 404


def set_cookie(reply: requests.Response, name: str) -> str:
    lines = reply.raw.headers.getlist("Set-Cookie")
    return next(line for line in lines if line.startswith(f"{name}="))


def test_signing_out_ends_the_session_and_the_remember_cookie(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    base = server_in(embedded_env, spawned, tmp_path, "web").url
    laptop, phone = requests.Session(), requests.Session()
    reply = sign_in(laptop, base, "p0@test.kr", contest.passwords["p0@test.kr"])
    assert reply.status_code == 302
    remember = set_cookie(reply, "remember_token")
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    assert expires - datetime.now(UTC) <= timedelta(days=14)  # not a year
    assert sign_in(phone, base, "p0@test.kr", contest.passwords["p0@test.kr"]).status_code == 302
    stolen = laptop.cookies.get_dict()
    assert signed_in(base, stolen)

    page = laptop.get(f"{base}/", timeout=30).text
    laptop.post(f"{base}/logout", data={"csrf_token": CSRF_META.search(page).group(1)}, timeout=30)
    assert not signed_in(base, laptop.cookies.get_dict())
    # Copies of the cookies taken before signing out are worth nothing now ...
    assert not signed_in(base, {"session": stolen["session"]})
    assert not signed_in(base, {"remember_token": stolen["remember_token"]})
    # ... and signing out ended the account's other sessions too (docs/api.md: one sign-out, all).
    assert not signed_in(base, phone.cookies.get_dict())
    assert sign_in(laptop, base, "p0@test.kr", contest.passwords["p0@test.kr"]).status_code == 302
    assert signed_in(base, laptop.cookies.get_dict())


def test_cookies_are_secure_when_served_over_https(settings: Settings, tmp_path: Path) -> None:
    settings.secure_cookies = True  # HACKJUDGE_SECURE_COOKIES=1
    app = create_app(settings, start_background=False)
    app.config.update(TESTING=True)
    with db.begin() as session:
        create_user(session, "judge@test.kr", Role.JUDGE, "correct-horse-battery")
    reply = Api(app.test_client()).sign_in("judge@test.kr", "correct-horse-battery")
    cookies = {line.split("=", 1)[0]: line for line in reply.headers.getlist("Set-Cookie")}
    assert "; Secure" in cookies["session"] and "; Secure" in cookies["remember_token"]

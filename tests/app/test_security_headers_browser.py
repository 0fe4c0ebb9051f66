"""Every page carries the security headers and keeps to its Content Security Policy (issue 12,
item 18): Chromium opens each page type as the user who sees it and reports no violation,
while the page's script runs (its data read, its live badge connected); and no page can be
framed by another site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from core.db import Database
from core.models import Role
from organize.accounts import create_user
from tests.actions import Api, bearer
from tests.helpers import (
    Contest,
    Proc,
    browser_sign_in,
    seed_env,
    server_in,
    settings_from_env,
)

# Before any page script: collect the violations the page reports to itself.
WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`);
});
"""
# Page endpoints that answer with a redirect, never a page of their own.
REDIRECTS_ONLY = {"pages.language"}
# Pages whose script is told the event (window.HJ_EVENT) through their data block.
EVENT_PAGES = {
    "pages.board",
    "pages.team",
    "pages.organize",
    "review_pages.workspace",
    "review_pages.team_file",
}


def _pages(contest: Contest, team_id: int) -> list[tuple[str, str, str, bool]]:
    """(endpoint, who, path, has a live badge) for every page type."""
    e = contest.event
    return [
        ("pages.index", "anonymous", "/", False),
        ("pages.board", "anonymous", f"/events/{e}", True),
        ("pages.projector", "organizer", f"/events/{e}/projector", True),
        ("pages.rules", "anonymous", f"/events/{e}/rules", False),
        ("auth.login", "anonymous", "/login", False),
        ("error page", "anonymous", "/events/no-such-event", False),
        ("pages.team", "participant", f"/events/{e}/team", True),
        ("pages.join", "newcomer", f"/events/{e}/join", False),
        ("projects.edit", "participant", f"/events/{e}/project", False),
        ("auth.tokens", "participant", "/tokens", False),
        ("pages.new_event", "organizer", "/events/new", False),
        ("pages.organize", "organizer", f"/events/{e}/organize", True),
        ("review_pages.workspace", "organizer", f"/events/{e}/review", False),
        ("review_pages.workspace", "judge", f"/events/{e}/review", False),
        ("review_pages.team_file", "judge", f"/events/{e}/review/teams/{team_id}", False),
        ("review_pages.statistics", "judge", f"/events/{e}/statistics", False),
        ("gallery.index", "organizer", f"/events/{e}/gallery", False),
        ("gallery.project", "judge", f"/events/{e}/gallery/{team_id}", False),
    ]


def _page_endpoints(env: dict[str, str]) -> set[str]:
    """Every GET page the app serves (the API, static files and redirects aside)."""
    from app import create_app

    app = create_app(settings_from_env(env), start_background=False)
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.startswith("/api/")
        and rule.endpoint not in ("static", "pages.favicon")
        and rule.endpoint not in REDIRECTS_ONLY
    }


def _sign_in(browser: Any, server: Proc, email: str | None, password: str = "") -> Any:
    """A browser context for one user (None: anonymous) that records CSP violations."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_VIOLATIONS)
    if email is not None:
        page = browser_sign_in(context, server, email, password)  # a context opens pages too
        assert "/login" not in page.url, f"{email} did not get in"
        page.close()
    return context


def _newcomer(env: dict[str, str]) -> tuple[str, str]:
    """A participant of no team yet: the join page's visitor."""
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            _user, password = create_user(session, "newcomer@test.kr", Role.PARTICIPANT)
    finally:
        assert database.engine is not None
        database.engine.dispose()
    return "newcomer@test.kr", password


def _prepare_review(server: Proc, contest: Contest) -> int:
    """One scored upload and the judge assigned to its team; the team's id."""
    api = f"{server.url}/api/v1"
    organizer = bearer(contest.staff_tokens["organizer"])
    uploads = Api(server, contest)
    assert uploads.finished(uploads.entry("팀0", 0.3, 0))["status"] == "scored"
    events = f"{api}/events/{contest.event}"
    made = requests.post(
        f"{events}/criteria", headers=organizer, json={"name": "기술성", "weight": 1}
    )
    assert made.status_code == 201, made.text
    assigned = requests.post(f"{events}/assignments", headers=organizer, json={"per_team": 1})
    assert assigned.status_code == 200, assigned.text
    rows = requests.get(f"{events}/assignments", headers=organizer, timeout=10).json()
    return next(r["team_id"] for r in rows["assignments"] if r["team"] == "팀0")


def test_every_page_keeps_to_its_content_security_policy(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    newcomer = _newcomer(embedded_env)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    team_id = _prepare_review(server, contest)
    pages = _pages(contest, team_id)
    assert {p[0] for p in pages} - {"error page"} == _page_endpoints(embedded_env), (
        "a page type is missing here"
    )
    accounts = {
        "anonymous": (None, ""),
        "participant": ("p0@test.kr", contest.passwords["p0@test.kr"]),
        "newcomer": newcomer,
        "organizer": ("organizer@test.kr", contest.passwords["organizer@test.kr"]),
        "judge": ("judge@test.kr", contest.passwords["judge@test.kr"]),
    }
    contexts = {who: _sign_in(browser, server, *login) for who, login in accounts.items()}

    for endpoint, who, path, live in pages:
        page = contexts[who].new_page()
        console: list[str] = []
        page.on(
            "console",
            lambda m, into=console: into.append(m.text) if "Security Policy" in m.text else None,
        )
        response = page.goto(server.url + path)
        assert response is not None and response.url == server.url + path, (endpoint, who)
        headers = response.headers
        policy = headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, endpoint
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, endpoint
        assert headers.get("x-frame-options") == "DENY", endpoint
        assert headers.get("x-content-type-options") == "nosniff", endpoint
        assert headers.get("referrer-policy") == "same-origin", endpoint
        page.wait_for_load_state("load")
        # Violations are reported in tasks of their own: let the page's queue drain once.
        page.evaluate("() => new Promise((done) => setTimeout(done, 0))")
        violations = page.evaluate("window.__csp") + console
        assert not violations, f"{endpoint} as {who}: {violations}"
        # The page's script ran: common.js read the page's data block, the badge went live.
        assert page.evaluate("window.HJ && window.HJ_LOCALE") in ("ko", "en"), endpoint
        if endpoint in EVENT_PAGES:
            assert page.evaluate("window.HJ_EVENT") == contest.event, endpoint
        if live:
            page.wait_for_selector("#live-status.live", state="attached", timeout=15_000)
        page.close()

    # Another site's page cannot frame the organizer console.
    framing = contexts["organizer"].new_page()
    with framing.expect_console_message(
        lambda m: "frame-ancestors" in m.text or "X-Frame-Options" in m.text
    ) as refused:
        framing.set_content(f'<iframe src="{server.url}/events/{contest.event}/organize"></iframe>')
    assert server.url in refused.value.text
    assert 'id="announce-text"' not in framing.frames[1].content()  # the console never showed
    for context in contexts.values():
        context.close()


def test_api_answers_and_static_files_carry_the_headers(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    for path in ("/api/v1/openapi.json", "/static/common.js", "/api/v1/events/nope/leaderboard"):
        reply = requests.get(server.url + path, timeout=10)
        assert reply.headers.get("X-Content-Type-Options") == "nosniff", path
        assert reply.headers.get("X-Frame-Options") == "DENY", path
        assert "frame-ancestors 'none'" in reply.headers.get("Content-Security-Policy", ""), path
    # Browsers ask every site for /favicon.ico: an icon, not a 404; pages link the SVG one.
    icon = requests.get(server.url + "/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/")
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's signature
    page = requests.get(server.url + "/", timeout=10).text
    linked = requests.get(server.url + "/static/favicon.svg", timeout=10)
    assert 'rel="icon" href="/static/favicon.svg"' in page and linked.status_code == 200

"""The final ranking can require a project (issue 17), on SQLite and PostgreSQL: the organizer
turns it on in the console, the console says who publishing will leave out, and the published
ranking leaves out every team with no project as of the project deadline, naming why."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.db import utcnow
from core.models import AuditEntry, Event, Team
from tests.actions import Api, bearer
from tests.final_round import lock_review
from tests.helpers import Contest, move_event


def csrf_token(html: str) -> str:
    """The page's CSRF token, as its forms send it (every page carries it in a meta tag)."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match[1]


def _console(client: FlaskClient, event: str, query: str = "") -> str:
    page = client.get(f"/events/{event}/organize{query}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_publishing_leaves_out_the_teams_without_a_project(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    for team in ("팀0", "팀1"):
        saved = api.save_project(ids[team], contest.tokens[team], title=f"{team}의 요약기")
        assert saved.status_code == 200, saved.json
    # 팀2 saves a project with no title: no project.
    assert api.save_project(ids["팀2"], contest.tokens["팀2"], summary="곧").status_code == 200

    # The organizer turns the rule on in the console, as a browser posts its form.
    assert api.sign_in("organizer@test.kr").status_code == 302
    before = _console(client, contest.event)
    assert 'id="left-out-warning"' not in before
    assert f'<li data-team="{ids["팀2"]}">팀2</li>' in before
    form = {"csrf_token": csrf_token(before), "require_project": "1"}
    done = client.post(f"/events/{contest.event}/organize/require-project", data=form)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/events/{contest.event}/organize#projects-missing")
    after = _console(client, contest.event)
    assert 'id="left-out-warning"' in after and "최종 순위를 발표하면" in after
    assert 'name="require_project" value="1" checked' in after
    with db.begin() as session:
        assert session.scalars(select(Event)).one().require_project is True
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "event.edit")).one()
        assert '"require_project": true' in entry.after

    # Entries, the end (also the project deadline), judged, revealed, locked.
    lock_review(api, contest)
    deadline = utcnow()  # the saves above, not a second before the end
    move_event(project_deadline_at=deadline)
    base = f"/api/v1/events/{contest.event}"
    organizer = bearer(contest.staff_tokens["organizer"])
    standing = client.get(f"{base}/final", headers=organizer).json
    assert [r["team"] for r in standing["rows"]] == ["팀0", "팀1"]
    assert standing["left_out"] == [{"team_id": ids["팀2"], "team": "팀2", "reason": "no_project"}]
    assert standing["short_of_judges"] == []  # the left-out team's reviews are not wanted
    review = client.get(f"/events/{contest.event}/review").get_data(as_text=True)
    assert 'id="left-out"' in review and "팀2: 프로젝트 미제출" in review

    # While teams may still add one, the ranking that would leave them out waits.
    move_event(project_deadline_at=utcnow() + timedelta(hours=1))
    early = client.post(f"{base}/final/publish?lang=en", headers=organizer)
    assert early.status_code == 409
    assert "requires a project" in early.json["error"]["message"], early.json
    move_event(project_deadline_at=deadline)

    published = client.post(f"{base}/final/publish", headers=organizer)
    assert published.status_code == 200, published.json
    board = client.get(f"{base}/leaderboard?board=final").json
    assert [(r["rank"], r["team"]) for r in board["rows"]] == [(1, "팀0"), (2, "팀1")]
    assert board["left_out"] == [{"team": "팀2", "reason": "no_project"}]
    # 팀1 is now last of two: the percentiles are of the ranked teams only.
    assert board["rows"][1]["auto"] == 0.0 and board["rows"][0]["auto"] == 1.0
    given = client.post(
        f"{base}/awards", headers=organizer, json={"by_rank": ["대상", "우수상", "장려상"]}
    )
    assert [(a["name"], a["team"]) for a in given.json["awards"]] == [
        ("대상", "팀0"),
        ("우수상", "팀1"),
    ]


def test_the_project_counts_as_of_the_project_deadline(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    assert api.save_project(ids["팀0"], contest.tokens["팀0"], title="먼저").status_code == 200
    between = utcnow()
    assert api.save_project(ids["팀1"], contest.tokens["팀1"], title="나중").status_code == 200
    organizer = bearer(contest.staff_tokens["organizer"])
    base = f"/api/v1/events/{contest.event}"
    # Through the API, as scripts set it; only a boolean, only by organizers.
    for value in ("yes", 1, None):
        bad = client.patch(f"{base}?lang=en", headers=organizer, json={"require_project": value})
        assert bad.status_code == 400, bad.json
        assert "require_project must be true or false" in bad.json["error"]["message"]
    for token in (contest.staff_tokens["judge"], contest.tokens["팀0"]):
        refused = client.patch(base, headers=bearer(token), json={"require_project": True})
        assert refused.status_code == 403
    on = client.patch(base, headers=organizer, json={"require_project": True})
    assert on.status_code == 200 and on.json["require_project"] is True

    # The deadline moved back to between the two saves: 팀1's project came after it.
    lock_review(api, contest)
    move_event(project_deadline_at=between)
    standing = client.get(f"{base}/final", headers=organizer).json
    assert [r["team"] for r in standing["rows"]] == ["팀0"]
    assert [t["team"] for t in standing["left_out"]] == ["팀1", "팀2"]
    # Off again: everyone is ranked, as before the rule.
    off = client.patch(base, headers=organizer, json={"require_project": False})
    assert off.status_code == 200 and off.json["require_project"] is False
    standing = client.get(f"{base}/final", headers=organizer).json
    assert [r["team"] for r in standing["rows"]] == ["팀0", "팀1", "팀2"]
    assert standing["left_out"] == []


def test_only_organizers_set_the_rule_in_the_console(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    path = f"/events/{contest.event}/organize/require-project"
    token = csrf_token(client.get("/login").get_data(as_text=True))
    anonymous = client.post(path, data={"csrf_token": token, "require_project": "1"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for email in ("judge@test.kr", "p0@test.kr"):
        assert api.sign_in(email).status_code == 302
        token = csrf_token(client.get("/").get_data(as_text=True))
        form = {"csrf_token": token, "require_project": "1"}
        assert client.post(path, data=form).status_code == 403
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert api.sign_in("organizer@test.kr").status_code == 302
    # Without the page's token the form does nothing.
    assert client.post(path, data={"require_project": "1"}).status_code == 400
    with db.begin() as session:
        assert session.scalars(select(Event)).one().require_project is False

"""Awards (issue 17) through the REST API and the CLI on SQLite and PostgreSQL: who gives them,
who reads them before and after the final ranking is published, the final board and the
projector's closing screen."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.db import utcnow
from core.models import AuditEntry, Event, Team
from tests.actions import Api, bearer
from tests.final_round import lock_review, publish_final
from tests.helpers import Contest


def test_awards_stay_with_staff_before_publication(client: FlaskClient, contest: Contest) -> None:
    base = f"/api/v1/events/{contest.event}/awards"
    organizer = bearer(contest.staff_tokens["organizer"])
    with db.begin() as session:
        team = session.scalars(select(Team).where(Team.name == "팀1")).one()
        team_id = team.id
    given = client.post(
        base, headers=organizer, json={"name": "  특별상 \n 인기 ", "team_id": team_id}
    )
    assert given.status_code == 201, given.json
    assert [(a["name"], a["team"]) for a in given.json["awards"]] == [("특별상 인기", "팀1")]
    defined = client.post(base, headers=organizer, json={"name": "장려상"})
    assert defined.status_code == 201 and defined.json["awards"][1]["team"] is None

    # Before the final ranking is published: staff read them, nobody else does.
    assert client.get(base, headers=bearer(contest.staff_tokens["judge"])).status_code == 200
    assert client.get(base, headers=bearer(contest.tokens["팀1"])).status_code == 403
    assert client.get(base).status_code == 401
    # Only organizers give; not by a ranking that is not locked; nothing malformed.
    for role in (contest.tokens["팀1"], contest.staff_tokens["judge"]):
        refused = client.post(base, headers=bearer(role), json={"name": "x", "team_id": team_id})
        assert refused.status_code == 403
    early = client.post(f"{base}?lang=en", headers=organizer, json={"by_rank": ["대상"]})
    assert early.status_code == 409 and "Lock review" in early.json["error"]["message"]
    for body in (
        {"name": "", "team_id": team_id},
        {"name": "x" * 101},
        {"by_rank": ["대상"], "name": "x"},
        {"by_rank": []},
        {"colour": "gold"},
        {"name": "x", "team_id": 999_999},
    ):
        bad = client.post(base, headers=organizer, json=body)
        assert bad.status_code in (400, 404), (body, bad.json)
    assert len(client.get(base, headers=organizer).json["awards"]) == 2
    award_id = given.json["awards"][0]["id"]
    assert (
        client.delete(f"{base}/{award_id}", headers=bearer(contest.tokens["팀1"])).status_code
        == 403
    )
    taken = client.delete(f"{base}/{award_id}", headers=organizer)
    assert taken.status_code == 200 and [a["name"] for a in taken.json["awards"]] == ["장려상"]
    assert client.delete(f"{base}/{award_id}", headers=organizer).status_code == 404
    with db.begin() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry))]
    assert actions.count("award.give") == 2 and "award.remove" in actions


def test_awards_given_after_the_lock_show_when_published(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    lock_review(api, contest)
    base = f"/api/v1/events/{contest.event}"
    organizer = bearer(contest.staff_tokens["organizer"])
    given = client.post(f"{base}/awards", headers=organizer, json={"by_rank": ["대상", "우수상"]})
    assert given.status_code == 201, given.json
    # Given by the locked ranking, they would tell it: still nobody's but staff's.
    assert client.get(f"{base}/awards", headers=bearer(contest.tokens["팀0"])).status_code == 403
    assert client.get(f"{base}/leaderboard?board=final").status_code == 401
    published = client.post(f"{base}/final/publish", headers=organizer)
    assert [r["awards"] for r in published.json["rows"]] == [["대상"], ["우수상"], []]
    mine = client.get(f"{base}/awards", headers=bearer(contest.tokens["팀0"]))
    assert [(a["name"], a["team"]) for a in mine.json["awards"]] == [
        ("대상", "팀0"),
        ("우수상", "팀1"),
    ]


def test_awards_by_the_final_ranking_on_the_board_and_projector(
    api: Api,
    client: FlaskClient,
    contest: Contest,
    settings,
    monkeypatch,  # noqa: ANN001
) -> None:
    publish_final(api, contest)  # 팀0, 팀1, 팀2
    base = f"/api/v1/events/{contest.event}"
    organizer = bearer(contest.staff_tokens["organizer"])
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    client.post(f"{base}/awards", headers=organizer, json={"name": "특별상", "team_id": ids["팀2"]})
    first = client.post(f"{base}/awards", headers=organizer, json={"by_rank": ["대상", "최우수상"]})
    assert first.status_code == 201, first.json
    again = client.post(
        f"{base}/awards", headers=organizer, json={"by_rank": ["대상", "최우수상", "우수상"]}
    )
    # Giving by the ranking again replaces the last giving by rank, not the ones by hand.
    got = [(a["name"], a["team"], a["rank"]) for a in again.json["awards"]]
    assert got == [
        ("대상", "팀0", 1),
        ("최우수상", "팀1", 2),
        ("우수상", "팀2", 3),
        ("특별상", "팀2", None),
    ]
    # Published: everyone reads them, on their own and on the final board.
    public = client.get(f"{base}/awards")
    assert public.status_code == 200 and len(public.json["awards"]) == 4
    assert client.get(f"{base}/awards", headers=bearer(contest.tokens["팀1"])).status_code == 200
    board = client.get(f"{base}/leaderboard?board=final").json
    assert [(r["team"], r["awards"]) for r in board["rows"]] == [
        ("팀0", ["대상"]),
        ("팀1", ["최우수상"]),
        ("팀2", ["우수상", "특별상"]),
    ]
    assert "judges" not in board["rows"][0]
    page = client.get(f"/events/{contest.event}/projector")
    assert page.status_code == 200
    assert "최우수상" in page.get_data(as_text=True)

    # The CLI lists and gives them as an organizer would.
    monkeypatch.setenv("HACKJUDGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HACKJUDGE_INSTANCE_DIR", str(settings.instance_dir))
    from app.cli import main

    listed = CliRunner().invoke(main, ["awards", contest.event])
    assert listed.exit_code == 0, listed.output
    assert [line.split()[1] for line in listed.output.splitlines()] == [
        "대상",
        "최우수상",
        "우수상",
        "특별상",
    ]
    given = CliRunner().invoke(
        main, ["awards", contest.event, "--give", "심사위원상", "--team", "팀1"]
    )
    assert given.exit_code == 0 and "심사위원상" in given.output, given.output
    wrong = CliRunner().invoke(main, ["awards", contest.event, "--give", "x", "--team", "없는팀"])
    assert wrong.exit_code == 1 and "no team" in wrong.output
    ranked = CliRunner().invoke(main, ["awards", contest.event, "--by-rank", "대상"])
    assert ranked.exit_code == 0, ranked.output
    names = [a["name"] for a in client.get(f"{base}/awards").json["awards"]]
    assert names == ["대상", "특별상", "심사위원상"]
    with db.begin() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and last.action == "award.by_rank"
        assert json.loads(last.after) == [{"name": "대상", "team": "팀0"}]


def test_no_award_for_a_disqualified_team_nor_by_a_ranking_projects_can_still_change(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    """While the final ranking requires a project, it may change until the project deadline
    (a team saves the project that keeps it in), so awards by rank wait for it as publishing
    does; and a disqualified team's award would reach the gallery and a certificate."""
    base = f"/api/v1/events/{contest.event}"
    organizer = bearer(contest.staff_tokens["organizer"])
    lock_review(api, contest)
    with db.begin() as session:
        event = session.scalars(select(Event)).one()
        event.require_project, event.project_deadline_at = True, utcnow() + timedelta(hours=1)
        team_id = session.scalars(select(Team.id).where(Team.name == "팀2")).one()
    early = client.post(f"{base}/awards?lang=en", headers=organizer, json={"by_rank": ["대상"]})
    assert early.status_code == 409 and "project deadline" in early.json["error"]["message"]

    dq = client.post(f"{base}/teams/{team_id}/disqualify", headers=organizer, json={"reason": "x"})
    assert dq.status_code == 200, dq.json
    refused = client.post(
        f"{base}/awards?lang=en", headers=organizer, json={"name": "특별상", "team_id": team_id}
    )
    assert refused.status_code == 409 and "disqualified" in refused.json["error"]["message"]
    assert client.get(f"{base}/awards", headers=organizer).json["awards"] == []

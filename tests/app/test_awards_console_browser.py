"""Awards from the organizer's console in Chromium (issue 17): with review locked, the
organizer gives "대상 1, 최우수상 2" by the final ranking and a special prize by hand, takes a
mistaken one back, publishes; the gallery and the final board show the awards to everyone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.db import utcnow
from core.models import Event, Team
from tests.actions import Api
from tests.final_round import lock_review
from tests.helpers import Proc, browser_sign_in, env_session, seed_env, server_in


def test_the_organizer_gives_awards_from_the_console(
    embedded_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
    browser,  # noqa: ANN001
    screenshots: Path,
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    with env_session(embedded_env) as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    for team, noise in (("팀0", 0.1), ("팀1", 1.0), ("팀2", 3.0)):
        assert api.finished(api.entry(team, noise))["status"] == "scored"
        saved = api.save_project(ids[team], contest.tokens[team], title=f"{team}의 서비스")
        assert saved.status_code == 200, saved.json()

    def move(**changes: object) -> None:
        with env_session(embedded_env) as session:
            event = session.scalars(select(Event)).one()
            for name, value in changes.items():
                setattr(event, name, value)

    console = browser_sign_in(
        browser, server, "organizer@test.kr", contest.passwords["organizer@test.kr"]
    )
    dialogs: list[str] = []
    console.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    console.goto(f"{server.url}/events/{contest.event}/organize")
    assert console.locator("#awards-empty").is_visible()

    lock_review(api, contest, move, entered=True)  # 팀0 > 팀1 > 팀2
    move(project_deadline_at=utcnow())  # the saves above, not a second before the end
    console.reload()
    console.fill('#awards-by-rank input[name="places"]', "대상 1, 최우수상 2")
    console.click("#awards-by-rank button")
    console.wait_for_selector("#awards .flash.ok")
    assert console.url.endswith("/organize#awards")
    rows = console.locator("#awards-table tbody tr")
    assert [rows.nth(i).locator("td").nth(0).inner_text() for i in range(3)] == [
        "대상",
        "최우수상",
        "최우수상",
    ]
    assert console.locator("#awards-table .award-team").all_inner_texts() == ["팀0", "팀1", "팀2"]

    # By hand: a special prize to 팀2, and one given by mistake, taken back.
    for name, team in (("특별상", "팀2"), ("인기상", "팀0")):
        console.fill('#award-by-hand input[name="name"]', name)
        console.select_option('#award-by-hand select[name="team_id"]', label=team)
        console.click("#award-by-hand button")
        console.wait_for_selector(f'#awards-table td.award-name:text-is("{name}")')
    console.locator('#awards-table tr:has(td.award-name:text-is("인기상")) button').click()
    console.wait_for_selector("#awards .flash.ok")
    assert console.locator("#awards-table .award-name").all_inner_texts() == [
        "대상",
        "최우수상",
        "최우수상",
        "특별상",
    ]

    console.locator("#awards").screenshot(path=str(screenshots / "console-awards.png"))

    # Published from the review console; everyone then sees the awards.
    console.goto(f"{server.url}/events/{contest.event}/review")
    console.click("#publish")
    console.wait_for_selector("#publish[disabled] + .badge.live")
    visitor = browser.new_page()
    visitor.goto(f"{server.url}/events/{contest.event}/gallery")
    cards = visitor.locator(".gallery-card")
    assert cards.count() == 3
    shown = [
        (card.get_attribute("data-team"), card.locator(".badge.award").all_inner_texts())
        for card in cards.all()
    ]
    assert shown == [("팀0", ["대상"]), ("팀1", ["최우수상"]), ("팀2", ["최우수상", "특별상"])]
    board = api.http.get(
        f"{server.url}/api/v1/events/{contest.event}/leaderboard?board=final", timeout=30
    ).json()
    assert [(r["team"], r["awards"]) for r in board["rows"]] == [
        ("팀0", ["대상"]),
        ("팀1", ["최우수상"]),
        ("팀2", ["최우수상", "특별상"]),
    ]
    assert dialogs == []

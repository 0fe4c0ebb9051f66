"""The gallery and the closing screen in Chromium (issue 17): the organizer publishes the
final ranking and gives awards; anyone, signed in or not, then sees the cards in rank order
with their awards and thumbnails, opens a project, and the projector shows the awards."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import select

from core.db import utcnow
from core.models import Event, Team
from tests import project_files as made
from tests.actions import Api, bearer
from tests.final_round import publish_final
from tests.helpers import Proc, browser_sign_in, env_session, seed_env, server_in


def test_the_public_gallery_and_the_closing_screen_show_the_awards(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    with env_session(embedded_env) as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    for team, noise in (("팀0", 0.1), ("팀1", 1.0), ("팀2", 3.0)):
        assert api.finished(api.entry(team, noise))["status"] == "scored"
    saved = api.save_project(
        ids["팀0"], contest.tokens["팀0"], title="회의록 요약기", summary="세 줄 요약"
    )
    assert saved.status_code == 200, saved.json()
    shot = api.add_project_file(
        ids["팀0"], contest.tokens["팀0"], made.png(640, 400), "a.png", "screenshot"
    )
    assert shot.status_code == 201, shot.json()
    api.save_project(ids["팀1"], contest.tokens["팀1"], title="<img src=x onerror=alert(1)>")

    def move(**changes: object) -> None:
        with env_session(embedded_env) as session:
            event = session.scalars(select(Event)).one()
            for name, value in changes.items():
                setattr(event, name, value)

    tab = browser.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.goto(f"{server.url}/events/{contest.event}/gallery")
    assert "/login" in tab.url  # nothing before publication

    publish_final(api, contest, move, entered=True)
    move(project_deadline_at=utcnow())  # the saves above, not a second before the end
    awards = f"{server.url}/api/v1/events/{contest.event}/awards"
    given = api.http.post(
        awards,
        headers=bearer(contest.staff_tokens["organizer"]),
        json={"by_rank": ["대상", "최우수상", "우수상"]},
        timeout=30,
    )
    assert given.status_code == 201, given.json()

    tab.goto(f"{server.url}/events/{contest.event}/gallery")
    cards = tab.locator(".gallery-card")
    assert cards.count() == 2
    first = cards.nth(0)
    assert first.locator("h2").inner_text() == "회의록 요약기"
    assert first.locator(".badge.award").inner_text() == "대상"
    assert "1위" in first.inner_text()
    tab.wait_for_function("document.querySelector('.gallery-card img').naturalWidth > 0")
    assert cards.nth(1).locator("h2").inner_text() == "<img src=x onerror=alert(1)>"
    assert cards.nth(1).locator(".badge.award").inner_text() == "최우수상"
    first.locator("a").click()
    tab.wait_for_selector("#project")
    assert tab.locator(".project-title").inner_text() == "회의록 요약기"
    assert tab.locator(".gallery-standing .award").inner_text() == "대상"
    assert tab.locator('figure[data-kind="screenshot"]').count() == 1

    tab.goto(f"{server.url}/events/{contest.event}/projector?rotate=0")
    tab.wait_for_selector("#live-status.live", state="attached")
    # An award given now reaches the closing screen live; the others stay beside their teams.
    special = api.http.post(
        awards,
        headers=bearer(contest.staff_tokens["organizer"]),
        json={"name": "특별상", "team_id": ids["팀2"]},
        timeout=30,
    )
    assert special.status_code == 201, special.json()
    tab.wait_for_selector('#rows li[data-team="팀2"] .award:has-text("특별상")')
    shown = tab.evaluate(
        "[...document.querySelectorAll('#rows li')].map(li => [li.dataset.team, "
        "li.querySelector('.award')?.textContent ?? null])"
    )
    assert shown == [["팀0", "대상"], ["팀1", "최우수상"], ["팀2", "우수상 · 특별상"]]
    assert dialogs == []  # nothing injected ran

    # The team downloads its certificate from its page; pdftotext reads the team and award.
    member = browser_sign_in(browser, server, "p0@test.kr", contest.passwords["p0@test.kr"])
    member.goto(f"{server.url}/events/{contest.event}/team")
    with member.expect_download() as download:
        member.click("#certificate a[download]")
    saved_pdf = tmp_path / "certificate.pdf"
    download.value.save_as(saved_pdf)
    text = subprocess.run(
        ["pdftotext", str(saved_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "팀: 팀0" in text and "수상: 대상" in text, text

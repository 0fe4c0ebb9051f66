"""In Chromium: a participant without a team joins one by invite code, then reads the team
page in Korean and in English."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.db import Database
from core.models import Role, Team
from organize.accounts import create_user
from tests.helpers import Proc, seed_env, server_in


def test_join_by_invite_code_then_switch_language(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    database = Database()
    database.configure(embedded_env["HACKJUDGE_DATABASE_URL"])
    with database.begin() as session:
        _user, password = create_user(session, "late@test.kr", Role.PARTICIPANT, name="늦은참가자")
        code = session.scalars(select(Team).where(Team.name == "팀2")).one().invite_code
    assert database.engine is not None
    database.engine.dispose()
    server = server_in(embedded_env, spawned, tmp_path, "web")

    page = browser.new_page()
    page.goto(f"{server.url}/events/{contest.event}/team")
    page.fill('input[name="email"]', "late@test.kr")
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{server.url}/events/{contest.event}/join")
    page.fill('input[name="code"]', "wrong-code")
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.wait_for_selector("p.flash.error:has-text('초대 코드')")
    page.fill('input[name="code"]', code)
    page.click("form.card button[type='submit']")
    page.wait_for_url(f"{server.url}/events/{contest.event}/team")
    assert "늦은참가자" in page.locator("#members").inner_text()
    assert page.locator("h2").first.inner_text() == "예측 결과 제출"

    page.click("a:text-is('English')")
    page.wait_for_selector("h2:text-is('Submit predictions')")
    assert "Members" in page.locator("#members").inner_text()
    assert page.locator("#countdown").inner_text().startswith("Ends in")
    page.close()

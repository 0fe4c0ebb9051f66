"""A real Chromium watches the public board move without a reload."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.actions import Api, bearer
from tests.helpers import Proc, seed_env, server_in


def test_public_board_updates_live_in_the_browser(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{server.url}/events/{contest.event}")
    page.wait_for_selector("#live-status.live")
    assert page.locator("section.board .empty").is_visible()
    assert page.locator("section.board tbody tr").count() == 0
    page.evaluate("window.__sameDocument = true")

    for i, (team, noise) in enumerate((("팀0", 0.8), ("팀1", 0.2))):
        Api(server, contest).entry(team, noise, i)
        page.wait_for_function(
            "n => document.querySelectorAll('section.board tbody tr').length === n", arg=i + 1
        )

    teams = page.locator("section.board tbody tr td:nth-child(2)").all_inner_texts()
    api = requests.get(f"{server.url}/api/v1/events/{contest.event}/leaderboard", timeout=10).json()
    assert teams == [row["team"] for row in api["rows"]] == ["팀1", "팀0"]
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert not page.locator("section.board .empty").is_visible()
    assert not page.locator("section.board .frozen").is_visible()
    # An announcement reaches the public board as a banner, without a reload.
    requests.post(
        f"{server.url}/api/v1/events/{contest.event}/announcements",
        headers=bearer(contest.staff_tokens["organizer"]),
        json={"message": "30분 뒤 동결합니다"},
        timeout=10,
    )
    page.wait_for_selector("#announcement:has-text('30분 뒤 동결합니다')")
    page.screenshot(path=str(tmp_path / "public-board.png"), full_page=True)
    page.close()

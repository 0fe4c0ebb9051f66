"""The projector in a real Chromium: live rows without a reload, then the reveal driven by
key presses, followed step by step on the organizer's screen and on an anonymous one."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.actions import Api, bearer
from tests.helpers import Proc, browser_sign_in, cli, end_event_now, seed_env, server_in, wait_for

ROWS = "#rows li"
SETTLED = "() => document.getAnimations().every(a => !a.effect?.target?.closest?.('#rows'))"


def shown(page) -> list[tuple[str, str]]:  # noqa: ANN001
    """(rank, team) of every row the projector shows, top to bottom."""
    rows = page.eval_on_selector_all(ROWS, "els => els.map(e => [e.dataset.rank, e.dataset.team])")
    return [tuple(row) for row in rows]


def test_projector_live_then_reveal_by_key_presses(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path, teams=4)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = f"{server.url}/api/v1/events/{contest.event}"

    hall = browser.new_page(viewport={"width": 1920, "height": 1080})
    hall.goto(f"{server.url}/events/{contest.event}/projector")
    hall.wait_for_selector("#live-status.live")
    assert hall.locator("#empty").is_visible()
    assert hall.locator("#task-title").inner_text() == contest.task
    assert "종료까지" in hall.locator("#countdown-end").inner_text()  # Korean by default
    hall.evaluate("window.__sameDocument = true")

    for i, (team, noise) in enumerate((("팀0", 0.9), ("팀1", 0.5), ("팀2", 0.2))):
        Api(server, contest).entry(team, noise, i)
        hall.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length === {i + 1}")
    board = requests.get(f"{api}/leaderboard", timeout=10).json()
    assert shown(hall) == [(str(r["rank"]), r["team"]) for r in board["rows"]]
    hall.wait_for_function("() => Chart.getChart('chart')?.data.datasets.length === 3")
    assert hall.evaluate("window.__sameDocument") is True
    hall.wait_for_function(SETTLED)  # rows done sliding, for a readable screenshot
    hall.screenshot(path=str(tmp_path / "projector-live.png"))

    # The freeze, then a team's first score after it: the hall must not see it.
    assert not hall.locator("#frozen-badge").is_visible()
    assert not hall.locator("#final-badge").is_visible()
    cli(embedded_env, "freeze", contest.event)
    hall.wait_for_selector("#frozen-badge:visible")
    Api(server, contest).entry("팀3", 0.1, 9)
    organizer_api = bearer(contest.staff_tokens["organizer"])
    wait_for(
        lambda: (
            len(
                requests.get(
                    f"{api}/leaderboard?board=staff", headers=organizer_api, timeout=10
                ).json()["rows"]
            )
            == 4
        ),
        30,
        "the late submission to be scored",
    )
    assert [team for _, team in shown(hall)] == [r["team"] for r in board["rows"]]
    requests.post(
        f"{api}/announcements", json={"message": "곧 동결됩니다"}, timeout=10, headers=organizer_api
    )
    hall.wait_for_function(
        "() => document.getElementById('ticker-text').textContent === '곧 동결됩니다'"
    )
    end_event_now(embedded_env)
    # The board clock pushes the moved deadline: the countdown ends without a reload.
    hall.wait_for_function("() => document.getElementById('countdown-end').textContent === '종료'")

    organizer = browser_sign_in(
        browser,
        server,
        "organizer@test.kr",
        contest.passwords["organizer@test.kr"],
        viewport={"width": 1920, "height": 1080},
    )
    organizer.goto(f"{server.url}/events/{contest.event}/projector?rotate=0")
    # Connected; the badge itself gives way to "frozen" (one state badge at a time).
    organizer.wait_for_selector("#live-status.live", state="attached")

    organizer.keyboard.press("Space")  # starts the reveal: the frozen board, nothing revealed
    for page in (organizer, hall):
        page.wait_for_function("() => document.body.dataset.mode === 'reveal'")
    state = requests.get(f"{api}/reveal", timeout=10).json()
    assert state["step"] == 0 and state["total"] == 4
    assert shown(hall) == [(str(r["rank"] or ""), r["team"]) for r in state["standings"]]

    for step in range(1, state["total"] + 1):
        organizer.keyboard.press("Space")
        for page in (organizer, hall):
            page.wait_for_function(
                "s => document.getElementById('reveal-banner').textContent.includes(s)"
                " || document.body.dataset.mode === 'final'",
                arg=f" {step}/4 ",
            )
        message = requests.get(f"{api}/reveal", timeout=10).json()
        assert message["step"] == step  # one key press, one team
        if not message["finished"]:
            rows = [(str(r["rank"] or ""), r["team"]) for r in message["standings"]]
            for page in (organizer, hall):
                page.wait_for_function(
                    "t => document.querySelector('#rows li.current')?.dataset.team === t",
                    arg=message["team"],
                )
                assert shown(page) == rows
        if step == 2:
            hall.wait_for_function(SETTLED)
            hall.screenshot(path=str(tmp_path / "projector-reveal.png"))

    # The end: the private board is public, on every screen.
    private = requests.get(f"{api}/leaderboard?board=private", timeout=10)
    assert private.status_code == 200
    expected_rows = [(str(r["rank"]), r["team"]) for r in private.json()["rows"]]
    for page in (organizer, hall):
        page.wait_for_function("() => document.body.dataset.mode === 'final'")
        page.wait_for_function(
            "n => document.querySelectorAll('#rows li').length === n", arg=len(expected_rows)
        )
        assert shown(page) == expected_rows
        assert page.locator("#final-badge").is_visible()
    assert hall.evaluate("window.__sameDocument") is True
    hall.wait_for_function(SETTLED)
    hall.screenshot(path=str(tmp_path / "projector-final.png"))
    organizer.close()
    hall.close()

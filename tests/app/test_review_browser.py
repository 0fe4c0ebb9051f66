"""A review round through the pages and the API against a real server: a judge fills the
rubric in Chromium, the organizer locks and publishes in the console, and the final board
reaches a Socket.IO client."""

from __future__ import annotations

import queue
from pathlib import Path

import requests
import socketio

from app.security import new_token
from core.db import Database
from core.models import Role
from organize.accounts import create_user
from tests.actions import Api, bearer
from tests.helpers import (
    Proc,
    browser_sign_in,
    end_event_now,
    seed_env,
    server_in,
)


def test_review_round_in_the_browser(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    database = Database()
    database.configure(embedded_env["HACKJUDGE_DATABASE_URL"])
    judges: dict[str, tuple[str, str]] = {}  # email → (token, password)
    with database.begin() as session:
        for name in ("김", "이"):
            user, password = create_user(session, f"{name}@judge.kr", Role.JUDGE, name=name)
            judges[user.email] = (new_token(session, user), password)
    judges["judge@test.kr"] = (contest.staff_tokens["judge"], contest.passwords["judge@test.kr"])
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = f"{server.url}/api/v1/events/{contest.event}"
    organizer = bearer(contest.staff_tokens["organizer"])
    uploads = Api(server, contest)
    for i, team in enumerate(contest.tokens):
        row = uploads.finished(uploads.entry(team, [0.1, 1.0, 3.0][i], i))
        assert row["status"] == "scored", row
    database.engine.dispose()
    end_event_now(embedded_env)

    # The organizer sets up the rubric and assigns, in the console.
    console = browser_sign_in(
        browser, server, "organizer@test.kr", contest.passwords["organizer@test.kr"]
    )
    console.goto(f"{server.url}/events/{contest.event}/review")
    for name, weight in (("기술성", "60"), ("완성도", "40")):
        console.fill('#criterion-form input[name="name"]', name)
        console.fill('#criterion-form input[name="weight"]', weight)
        console.click("#criterion-form button")
        console.wait_for_selector(f"#criteria td:text-is('{name}')")
    console.fill('#assign-form input[name="per_team"]', "3")
    console.click("#assign-form button")
    console.wait_for_selector("#progress tbody tr >> nth=8")  # 3 teams × 3 judges

    # Two judges score through the API, the third in the browser.
    criteria = requests.get(f"{api}/criteria", headers=organizer, timeout=10).json()["criteria"]
    points = {"팀0": 9, "팀1": 6, "팀2": 3}
    for email, (token, _password) in judges.items():
        if email == "judge@test.kr":
            continue
        mine = requests.get(f"{api}/assignments", headers=bearer(token), timeout=10).json()[
            "assignments"
        ]
        for row in mine:
            requests.put(
                f"{api}/teams/{row['team_id']}/scores",
                timeout=10,
                headers=bearer(token),
                json={"scores": {c["id"]: points[row["team"]] for c in criteria}},
            ).raise_for_status()
    judge = browser_sign_in(browser, server, "judge@test.kr", contest.passwords["judge@test.kr"])
    judge.goto(f"{server.url}/events/{contest.event}/review")
    assert judge.locator("#progress tbody tr").count() == 3  # only their own teams
    for team in ("팀0", "팀1", "팀2"):
        judge.goto(f"{server.url}/events/{contest.event}/review")
        judge.click(f"#progress a:text-is('{team}')")
        judge.wait_for_selector("#rubric")
        assert "id,target" in judge.locator("pre.head").first.inner_text()  # the file's first rows
        for c in criteria:
            judge.fill(f'#rubric input[name="{c["id"]}"]', str(points[team]))
        judge.click("#rubric button")
        judge.wait_for_function(
            "() => document.getElementById('review-status').textContent === '저장했습니다.'"
        )
    # On the last team's page: a comment and a flag, which the organizer sees.
    judge.fill("#comment-form textarea", "재현 스크립트가 없습니다")
    judge.click("#comment-form button")
    judge.wait_for_selector("#comments li:has-text('재현 스크립트가 없습니다')")
    judge.select_option(".flag-form select", "leakage")
    judge.fill(".flag-form input[name='note']", "id 순서 의존")
    judge.click(".flag-form button")
    judge.wait_for_function(
        "() => document.getElementById('review-status').textContent === '저장했습니다.'"
    )
    judge.screenshot(path=str(tmp_path / "judge-team.png"), full_page=True)

    # Lock, then publish: the final board reaches a live viewer.
    viewer = socketio.Client(reconnection=False)
    finals: queue.Queue = queue.Queue()
    viewer.on(
        "leaderboard", lambda data: data["board"] == "final" and finals.put(data), namespace="/live"
    )
    viewer.connect(server.url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    viewer.call("subscribe", {"event": contest.event}, namespace="/live", timeout=10)
    hall = browser.new_page(viewport={"width": 1920, "height": 1080})
    hall.goto(f"{server.url}/events/{contest.event}/projector")
    hall.wait_for_selector("#live-status.live")
    requests.post(f"{api}/reveal", headers=organizer, json={"all": True}, timeout=10)
    console.reload()
    assert "id 순서 의존" in console.locator("#flags").inner_text()
    assert console.locator("#publish").is_disabled()
    console.click("#lock")
    console.wait_for_selector("#publish:not([disabled])")
    console.click("#publish")
    final = finals.get(timeout=15)
    assert [(r["rank"], r["team"]) for r in final["rows"]] == [(1, "팀0"), (2, "팀1"), (3, "팀2")]
    console.wait_for_selector(".badge.live:text-is('공개됨')")
    # The projector switches to the final ranking at once.
    hall.wait_for_function(
        "() => document.getElementById('task-title').textContent === '최종 순위'"
    )
    assert hall.eval_on_selector_all("#rows li", "els => els.map(e => e.dataset.team)") == [
        "팀0",
        "팀1",
        "팀2",
    ]
    hall.screenshot(path=str(tmp_path / "projector-final-ranking.png"))
    console.locator("#final details summary").first.click()
    assert "z" in console.locator("#final .why").first.inner_text()
    console.screenshot(path=str(tmp_path / "review-console.png"), full_page=True)
    viewer.disconnect()

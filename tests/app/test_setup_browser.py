"""An organizer sets up an event in Chromium without a shell: the event, a task from an
uploaded ground truth (with its preview), and the teams (credentials download)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from tests.helpers import Proc, browser_sign_in, seed_env, server_in, truth_frame


def test_organizer_creates_event_task_and_teams(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    truth = tmp_path / "정답.csv"
    truth.write_bytes(truth_frame(120, seed=5).to_csv(index=False).encode("cp949"))
    roster = tmp_path / "명단.xlsx"
    pd.DataFrame(
        [["알파", "서울", "김하나", "a@x.kr"], ["베타", "부산", "박셋", "c@x.kr"]],
        columns=["team", "affiliation", "name", "email"],
    ).to_excel(roster, index=False)

    page = browser_sign_in(
        browser,
        server,
        "organizer@test.kr",
        contest.passwords["organizer@test.kr"],
        accept_downloads=True,
    )
    page.goto(f"{server.url}/")
    page.click("a:text-is('새 대회')")
    page.fill('#event-form input[name="title"]', "겨울 캠프")
    # The address rule holds in the browser (a pattern that compiles) before the server's.
    slug = page.locator('#event-form input[name="slug"]')
    slug.fill("Wine_2")
    assert slug.evaluate("e => e.validity.patternMismatch") is True
    slug.fill("winter")
    assert slug.evaluate("e => e.validity.valid") is True
    page.fill('#event-form input[name="start"]', "2026-12-05T10:00")
    page.fill('#event-form input[name="end"]', "2026-12-06T18:00")
    page.click("#event-form button")
    page.wait_for_url(f"{server.url}/events/winter/organize")
    assert page.input_value('#event-edit input[name="start"]') == "2026-12-05T10:00"  # KST

    # The freeze: scheduled, pressed, lifted. The console says what holds now and what is
    # scheduled, and lifting the pressed freeze keeps the schedule.
    state = page.locator("#freeze-state")
    assert "동결 안 됨" in state.inner_text() and "예약된 동결이 없습니다" in state.inner_text()
    page.fill('#event-edit input[name="freeze"]', "2026-12-06T17:00")
    page.click('#event-edit button[type="submit"]')
    page.wait_for_function(
        "() => document.getElementById('freeze-state').textContent.includes('17:00')"
    )
    assert "예약된 동결: 2026-12-06 17:00 KST" in state.inner_text()
    # Each button reloads the page once its request is answered; the freeze's push may reach
    # the badge before that (it did in CI, and the unfreeze click then fell into the reload).
    with page.expect_navigation():
        page.click("#freeze-now")
    page.wait_for_selector("#freeze-state .badge.frozen")
    assert "부터 동결되어 있습니다" in state.inner_text()
    with page.expect_navigation():
        page.click("#unfreeze")
    page.wait_for_selector("#freeze-state .badge:not(.frozen)")
    assert "동결 안 됨" in state.inner_text(), state.inner_text()
    assert "예약된 동결: 2026-12-06 17:00 KST" in state.inner_text()
    assert page.input_value('#event-edit input[name="freeze"]') == "2026-12-06T17:00"

    page.set_input_files('#task-form input[name="truth"]', str(truth))
    page.select_option('#task-form select[name="metric"]', "roc_auc")
    page.click("#task-preview")
    page.wait_for_selector("#preview table tbody tr")
    facts = page.locator("#preview p").inner_text()  # in the page's language
    assert "120행" in facts and "클래스: 0, 1" in facts and "공개 " in facts, facts
    assert "rows" not in facts and "classes" not in facts, facts
    assert page.input_value('#task-form input[name="id_column"]') == "id"
    page.fill('#task-form input[name="slug"]', "churn")
    page.click('#task-form button[type="submit"]')
    page.wait_for_selector('#tasks tr[data-task="churn"]')

    page.set_input_files('#team-import input[name="file"]', str(roster))
    with page.expect_download() as download:
        page.click('#team-import button[type="submit"]')
    saved = tmp_path / "credentials.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [r["team"] for r in rows] == ["알파", "베타"] and all(r["password"] for r in rows)
    page.wait_for_selector('#teams tr[data-team="알파"]')
    # Ban a team: the console asks for the reason, the row then says so and offers reinstating.
    page.once("dialog", lambda dialog: dialog.accept("명단 외 참가자"))
    page.click('#teams tr[data-team="베타"] button.ban-team')
    banned = page.locator('#teams tr[data-team="베타"] button.ban-team[data-action="reinstate"]')
    banned.wait_for()
    assert banned.inner_text() == "실격 취소"
    badge = page.locator('#teams tr[data-team="베타"] .badge')
    assert badge.inner_text() == "실격" and badge.get_attribute("title") == "명단 외 참가자"
    page.screenshot(path=str(tmp_path / "organize-setup.png"), full_page=True)
    page.close()

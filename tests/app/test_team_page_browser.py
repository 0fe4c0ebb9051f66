"""A participant signs in, uploads on the team page and watches the status change live."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import server_in
from tests.helpers import Proc, prediction_csv, seed_env


def test_upload_on_the_team_page_shows_live_status(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    good = tmp_path / "좋은제출.csv"
    good.write_bytes(prediction_csv(contest.truth, 0.3, 1))
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"id": contest.truth["id"][2:], "target": 0.5}).to_csv(bad, index=False)

    page = browser.new_page()
    page.goto(f"{server.url}/events/{contest.event}/team")
    assert "/login" in page.url  # the team page asks for a sign-in first
    page.fill('input[name="email"]', "p0@test.kr")
    page.fill('input[name="password"]', contest.passwords["p0@test.kr"])
    page.click('button[type="submit"]')
    page.wait_for_url(f"{server.url}/events/{contest.event}/team")
    assert page.locator("#history-empty").is_visible()
    page.wait_for_selector("#live-status.live")
    page.evaluate("window.__sameDocument = true")

    page.set_input_files('input[type="file"]', str(good))
    page.click('#upload button[type="submit"]')
    scored = page.locator("#history tbody tr.status-scored")
    scored.wait_for()
    cells = scored.first.locator("td").all_inner_texts()
    assert cells[2] == "좋은제출.csv" and cells[4] == "채점 완료"
    assert 0.5 < float(cells[5]) <= 1.0

    page.set_input_files('input[type="file"]', str(bad))
    page.click('#upload button[type="submit"]')
    invalid = page.locator("#history tbody tr.status-invalid")
    invalid.wait_for()
    assert invalid.first.locator("td").nth(6).inner_text().startswith("2 ids are missing")

    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("#history tbody tr").count() == 2
    page.screenshot(path=str(tmp_path / "team-page.png"), full_page=True)
    page.close()

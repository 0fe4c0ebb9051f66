"""A participant signs in, uploads on the team page and watches the status change live."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from tests.helpers import Proc, prediction_csv, seed_env, server_in


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
    assert page.locator("#live-status").inner_text() == "실시간"
    page.evaluate("window.__sameDocument = true")

    assert re.fullmatch(
        r"종료까지 (\d+일 )?\d\d:\d\d:\d\d", page.locator("#countdown").inner_text()
    )
    assert page.locator("#chart-empty").is_visible()  # nothing scored yet: said, not drawn
    # Days in the page's language: 1 day, 1 hour, 1 minute and 1 second.
    assert page.evaluate("HJ.span(90061, window.HJ_TEXT.days)") == "1일 01:01:01"
    assert page.locator(f'#quotas li[data-task="{contest.task}"] .left').inner_text() == "20"
    # Drag and drop, as a user would from the file manager.
    page.evaluate(
        """([name, text]) => {
          const data = new DataTransfer();
          data.items.add(new File([text], name, { type: "text/csv" }));
          const drop = document.getElementById("drop");
          drop.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true }));
          drop.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true }));
        }""",
        [good.name, good.read_text(encoding="utf-8")],
    )
    assert page.evaluate("document.querySelector('#upload input[type=file]').files[0].name") == (
        good.name
    )
    page.fill('#upload input[name="note"]', "첫 시도: 기본 모델")
    page.click('#upload button[type="submit"]')
    scored = page.locator("#history tbody tr.status-scored")
    scored.wait_for()
    cells = scored.first.locator("td").all_inner_texts()
    assert cells[2].splitlines()[0] == "좋은제출.csv" and cells[4] == "채점 완료"
    assert scored.first.locator(".note").inner_text() == "첫 시도: 기본 모델"
    assert 0.5 < float(cells[5]) <= 1.0

    page.set_input_files('input[type="file"]', str(bad))
    page.click('#upload button[type="submit"]')
    invalid = page.locator("#history tbody tr.status-invalid")
    invalid.wait_for()
    # The worker's message, pushed live, in the page's language.
    assert invalid.first.locator("td").nth(6).inner_text().startswith("빠진 id가 2개 있습니다")
    # A refused upload says why, in Korean too.
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    page.set_input_files('input[type="file"]', str(empty))
    page.click('#upload button[type="submit"]')
    page.wait_for_selector("#upload-message.error:has-text('파일이 비어 있습니다.')")

    # The invalid file gave its quota back; one scored submission used one.
    left = f'#quotas li[data-task="{contest.task}"] .left'
    page.wait_for_function("s => document.querySelector(s).textContent === '19'", arg=left)
    # Pick the scored submission as final: the toggle and the count show it.
    scored.first.locator("button.pick").click()
    page.wait_for_selector("#history tbody tr.status-scored button.pick.on")
    assert page.locator(f'#quotas li[data-task="{contest.task}"] .picks').inner_text() == "1"
    assert page.evaluate("Chart.getChart('team-chart').data.datasets[0].data.length") == 1
    assert page.locator("#chart-empty").is_hidden()
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("#history tbody tr").count() == 2
    page.screenshot(path=str(tmp_path / "team-page.png"), full_page=True)
    # On a phone: nothing overflows the screen sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "team-page-phone.png"), full_page=True)
    # In English, the stored message is shown in English.
    page.goto(f"{server.url}/events/{contest.event}/team?lang=en")
    message = page.locator("#history tbody tr.status-invalid td").nth(6).inner_text()
    assert message.startswith("2 ids are missing, e.g.")
    page.close()

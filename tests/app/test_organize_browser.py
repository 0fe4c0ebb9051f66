"""An organizer presses Rescore and watches the progress reach the end, live; then makes an
announcement that an open projector shows at once."""

from __future__ import annotations

from pathlib import Path

from tests.actions import Api
from tests.helpers import Proc, seed_env, server_in


def test_rescore_button_shows_live_progress(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path, teams=4)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    ids = [api.entry(team, 0.3 + 0.1 * i, i) for i, team in enumerate(contest.tokens)]
    for sub_id in ids:
        assert api.finished(sub_id)["status"] == "scored"

    page = browser.new_page()
    page.goto(f"{server.url}/login?next=/events/{contest.event}/organize")
    page.fill('input[name="email"]', "organizer@test.kr")
    page.fill('input[name="password"]', contest.passwords["organizer@test.kr"])
    page.click('button[type="submit"]')
    page.wait_for_url(f"{server.url}/events/{contest.event}/organize")
    page.wait_for_selector("#live-status.live")
    # The dashboard: workers (embedded: the scoring threads), the queue, the per-minute chart.
    page.wait_for_function("() => document.getElementById('workers').textContent !== '–'")
    assert page.locator("#queue").inner_text() == "0"
    assert (
        page.evaluate("Chart.getChart('per-minute').data.datasets[0].data.reduce((a, b) => a + b)")
        == 4
    )
    assert page.locator("#trouble-empty").is_visible()
    assert page.locator("#by-status").inner_text() == "채점 완료 4"  # statuses in Korean
    row = page.locator(f'#tasks tr[data-task="{contest.task}"]')
    assert row.locator("td").nth(3).inner_text() == "4"
    row.locator("button.rescore").click()
    page.wait_for_function(
        """task => {
          const tr = document.querySelector(`#tasks tr[data-task="${task}"]`);
          return tr.querySelector('.rescore-status').textContent.startsWith('완료 4/4');
        }""",
        arg=contest.task,
    )
    assert row.locator("progress").evaluate("p => [p.value, p.max]") == [4, 4]
    assert not row.locator("button.rescore").is_disabled()

    # An announcement typed once reaches an open projector without a reload.
    hall = browser.new_page(viewport={"width": 1920, "height": 1080})
    hall.goto(f"{server.url}/events/{contest.event}/projector")
    hall.wait_for_selector("#live-status.live")
    page.fill("#announce-text", "  결과 발표는 17시에  ")
    page.click("#announce button")
    page.wait_for_function(
        "() => document.getElementById('announce-status').textContent === '공지했습니다.'"
    )
    assert page.input_value("#announce-text") == ""
    hall.wait_for_function(
        "() => document.getElementById('ticker-text').textContent === '결과 발표는 17시에'"
    )
    page.screenshot(path=str(tmp_path / "organize.png"), full_page=True)
    hall.close()
    page.close()

"""The organizer console in Chromium: a freeze is said at the top of the page, shown and
hidden live whoever freezes (the command line here, or the console's own buttons); the
"Disqualify" button looks unlike "Hide" and still asks for a reason."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Proc, browser_sign_in, cli, seed_env, server_in

NOTICE = "#frozen-notice"


def test_the_console_says_the_board_is_frozen_live(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    password = contest.passwords["organizer@test.kr"]
    page = browser_sign_in(browser, server, "organizer@test.kr", password)
    page.goto(f"{server.url}/events/{contest.event}/organize")
    page.wait_for_selector("#live-status.live")
    assert not page.locator(NOTICE).is_visible()
    assert page.locator("#unfreeze").is_disabled()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    cli(embedded_env, "freeze", contest.event)
    page.wait_for_selector(NOTICE, state="visible")
    notice = page.locator(NOTICE)
    # At the top of the console, above the Event card.
    assert notice.bounding_box()["y"] < page.locator("#freeze-state").bounding_box()["y"]
    text = notice.inner_text()
    assert "동결" in text and "부터 동결되어 있습니다" in text, text
    assert page.locator("#freeze-badge").inner_text() == "동결"
    assert not page.locator("#unfreeze").is_disabled()
    page.screenshot(path=str(tmp_path / "console-frozen.png"), full_page=True)

    cli(embedded_env, "unfreeze", contest.event)
    page.wait_for_selector(NOTICE, state="hidden")
    assert page.locator("#freeze-badge").inner_text() == "동결 안 됨"
    assert page.locator("#unfreeze").is_disabled()
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"

    # The console's own buttons: the notice after "Freeze now", gone after "Lift the freeze".
    page.click("#freeze-now")
    page.wait_for_selector(NOTICE, state="visible")
    page.wait_for_selector("#unfreeze:enabled")
    page.click("#unfreeze")
    page.wait_for_selector(NOTICE, state="hidden")
    page.close()


def test_disqualify_looks_unlike_hide_and_asks_for_a_reason(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path, teams=2)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    password = contest.passwords["organizer@test.kr"]
    page = browser_sign_in(browser, server, "organizer@test.kr", password)
    page.goto(f"{server.url}/events/{contest.event}/organize")
    row = page.locator('#teams tr[data-team="팀0"]')
    hide, ban = row.locator("button.hide-team"), row.locator("button.ban-team")
    assert (hide.inner_text(), ban.inner_text()) == ("숨기기", "실격 처리")
    style = "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color]; }"
    hide_style, ban_style = hide.evaluate(style), ban.evaluate(style)
    assert hide_style[0] != ban_style[0] and hide_style[1] != ban_style[1], (hide_style, ban_style)

    # Dismissing the reason prompt disqualifies no one.
    asked: list[tuple[str, str]] = []

    def dismiss(dialog) -> None:  # noqa: ANN001  (Playwright's Dialog)
        asked.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.once("dialog", dismiss)
    ban.click()  # returns once the prompt it opened is answered
    assert asked == [("prompt", page.evaluate("window.HJ_TEXT.ban_reason"))]
    assert row.locator("button.ban-team").inner_text() == "실격 처리"

    # Given a reason, the team is disqualified; "Reinstate" is an everyday button again.
    page.once("dialog", lambda dialog: dialog.accept("부정 제출"))
    with page.expect_navigation():  # the console reloads with the change
        ban.click()
    assert row.locator("button.ban-team").inner_text() == "실격 취소"
    assert "danger" not in (row.locator("button.ban-team").get_attribute("class") or "")
    assert row.locator(".badge").get_attribute("title") == "부정 제출"
    page.close()

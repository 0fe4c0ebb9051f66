"""In Chromium: a participant makes a submit-only token on the tokens page, sees its secret
once, uploads with it, and revokes it (issue 12, item 17)."""

from __future__ import annotations

from pathlib import Path

from tests.actions import Api
from tests.helpers import Proc, browser_sign_in, prediction_csv, seed_env, server_in


def test_make_see_once_use_and_revoke_a_token(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    page = browser_sign_in(browser, server, "p0@test.kr", contest.passwords["p0@test.kr"])
    page.click("header a[href='/tokens']")  # from any page's header
    page.wait_for_url(f"{server.url}/tokens")

    page.fill('input[name="name"]', "노트북")
    page.select_option('select[name="scope"]', "submit")
    page.select_option('select[name="expires"]', "7d")
    page.click("#create-token button[type='submit']")
    secret = page.locator("#new-token code").inner_text().strip()
    assert secret.startswith("hj_")
    row = page.locator("#tokens tbody tr", has_text="노트북")
    assert row.count() == 1 and secret not in row.inner_text()

    def upload(token: str) -> int:
        body = prediction_csv(contest.truth, 0.3, 1)
        return Api(server, contest).upload(None, body, "pred.csv", token=token).status_code

    assert upload(secret) == 202
    page.goto(f"{server.url}/tokens")  # shown once: never again
    assert secret not in page.content() and page.locator("#new-token").count() == 0
    row = page.locator("#tokens tbody tr", has_text="노트북")
    assert "submit" in row.inner_text() or "제출" in row.inner_text()

    row.locator("button[type='submit']").click()
    page.wait_for_selector("p.flash")
    assert page.locator("#tokens tbody tr", has_text="노트북").count() == 0
    assert upload(secret) == 401
    assert upload(contest.tokens["팀0"]) == 202  # the other token lives on
    page.close()

"""In Chromium: the team page keeps a submission's outcome whichever reaches it first, the
upload's 202 reply (status queued) or the live push of the result (issue 11, item 9)."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd

from tests.helpers import Contest, Proc, browser_sign_in, prediction_csv, seed_env, server_in

ROWS = "#history tbody tr"


class HeldReplies:
    """Each upload reaches the server as the page sends it; its reply waits here until released.

    Held at the response stage through Chromium's DevTools protocol: Playwright's
    ``route.fetch()`` would send the request again, and Chromium gives an interceptor the
    multipart body without its file part.
    """

    def __init__(self, page: Any) -> None:
        self.page = page
        self.held: list[str] = []
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Fetch.requestPaused", lambda event: self.held.append(event["requestId"]))
        pattern = {
            "urlPattern": "*/api/v1/events/*/tasks/*/submissions",
            "requestStage": "Response",
        }
        self.cdp.send("Fetch.enable", {"patterns": [pattern]})

    def release(self) -> dict[str, Any]:
        # The push may beat even the server's reply: poll until Chromium reports it held.
        deadline = time.monotonic() + 30
        while not self.held:
            assert time.monotonic() < deadline, "the upload's reply never reached the browser"
            self.page.wait_for_timeout(20)  # a polling step: lets Playwright deliver the event
        assert len(self.held) == 1, "exactly one upload should be waiting for its reply"
        request_id = self.held.pop()
        body = self.cdp.send("Fetch.getResponseBody", {"requestId": request_id})
        self.cdp.send("Fetch.continueResponse", {"requestId": request_id})
        text = body["body"]
        return json.loads(base64.b64decode(text) if body["base64Encoded"] else text)


class HeldPushes:
    """The page's Socket.IO connection, with ``submission`` pushes held back while asked to."""

    def __init__(self, page: Any) -> None:
        self.holding = False
        self.held: list[tuple[Any, str | bytes]] = []
        page.route_web_socket(re.compile(r"/socket\.io/"), self._route)

    def _route(self, ws: Any) -> None:
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if self.holding and '"submission"' in str(message):
                self.held.append((ws, message))
            else:
                ws.send(message)

        server.on_message(to_page)

    def release(self) -> None:
        # Still holding while flushing: a push arriving meanwhile queues behind the others.
        while self.held:
            ws, message = self.held.pop(0)
            ws.send(message)
        self.holding = False


def open_team_page(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser: Any
) -> tuple[Contest, Any, HeldPushes]:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    page = browser_sign_in(browser, server, "p0@test.kr", contest.passwords["p0@test.kr"])
    pushes = HeldPushes(page)
    page.goto(f"{server.url}/events/{contest.event}/team")
    page.wait_for_selector("#live-status.live")
    return contest, page, pushes


def quota_left(page: Any, contest: Contest) -> int:
    return int(page.locator(f'#quotas li[data-task="{contest.task}"] .left').inner_text())


def submit(page: Any, path: Path) -> None:
    page.set_input_files('#upload input[type="file"]', str(path))
    page.click('#upload button[type="submit"]')


def wait_for_new_row(page: Any, rows_before: int, status: str) -> None:
    """The upload's row has appeared, newest first, with ``status``: a push has been applied."""
    page.wait_for_function(
        """([selector, count, status]) => {
          const rows = document.querySelectorAll(selector);
          return rows.length === count + 1 && rows[0].classList.contains("status-" + status);
        }""",
        arg=[ROWS, rows_before, status],
    )


def cells(page: Any, submission_id: str) -> list[str]:
    return page.locator(f'{ROWS}[data-id="{submission_id}"] td').all_inner_texts()


def good_file(contest: Contest, tmp_path: Path) -> Path:
    path = tmp_path / "좋은제출.csv"
    path.write_bytes(prediction_csv(contest.truth, 0.3, 1))
    return path


def test_reply_then_push_ends_scored_using_one_quota(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser: Any
) -> None:
    contest, page, pushes = open_team_page(embedded_env, tmp_path, spawned, browser)
    before = quota_left(page, contest)

    pushes.holding = True  # the reply is applied before any push of this upload
    submit(page, good_file(contest, tmp_path))
    page.wait_for_selector("#upload-message.ok")
    queued = page.locator(f"{ROWS}.status-queued")
    assert queued.count() == 1
    submission_id = queued.get_attribute("data-id")
    assert cells(page, submission_id)[4] == "대기 중"
    assert quota_left(page, contest) == before - 1

    pushes.release()
    page.wait_for_selector(f'{ROWS}[data-id="{submission_id}"].status-scored')
    row = cells(page, submission_id)
    assert row[2] == "좋은제출.csv" and row[4] == "채점 완료"
    assert 0.5 < float(row[5]) <= 1.0
    assert quota_left(page, contest) == before - 1
    page.close()


def test_scored_push_before_reply_keeps_the_score(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser: Any
) -> None:
    contest, page, _pushes = open_team_page(embedded_env, tmp_path, spawned, browser)
    replies = HeldReplies(page)
    before = quota_left(page, contest)

    submit(page, good_file(contest, tmp_path))
    wait_for_new_row(page, 0, "scored")  # scored, pushed live, while the reply is held
    assert page.locator('#upload button[type="submit"]').is_disabled()  # still uploading
    reply = replies.release()
    assert reply["status"] == "queued"
    page.wait_for_selector("#upload-message.ok")

    row = cells(page, reply["id"])
    assert row[2] == "좋은제출.csv" and row[4] == "채점 완료"
    assert 0.5 < float(row[5]) <= 1.0
    assert page.locator(ROWS).count() == 1
    assert quota_left(page, contest) == before - 1
    page.close()


def test_invalid_push_before_reply_keeps_the_error_and_the_quota(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser: Any
) -> None:
    contest, page, _pushes = open_team_page(embedded_env, tmp_path, spawned, browser)
    replies = HeldReplies(page)
    before = quota_left(page, contest)
    bad = tmp_path / "cancer_missing_ids.csv"
    pd.DataFrame({"id": contest.truth["id"][2:], "target": 0.5}).to_csv(bad, index=False)

    submit(page, bad)
    wait_for_new_row(page, 0, "invalid")  # the worker's verdict, pushed live, comes first
    assert page.locator('#upload button[type="submit"]').is_disabled()  # still uploading
    reply = replies.release()
    assert reply["status"] == "queued"
    page.wait_for_selector("#upload-message.ok")

    row = cells(page, reply["id"])
    assert row[2] == "cancer_missing_ids.csv" and row[4] == "형식 오류"
    assert row[6].startswith("빠진 id가 2개 있습니다")
    assert page.locator(f'{ROWS}[data-id="{reply["id"]}"]').get_attribute("class") == (
        "status-invalid"
    )
    assert page.locator(ROWS).count() == 1
    assert quota_left(page, contest) == before  # an invalid file costs nothing
    page.close()


def test_a_retry_after_a_lost_reply_makes_no_second_submission(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser: Any
) -> None:
    """The upload reaches the server but its reply is lost (the connection resets): the page
    says so, the user clicks again, and the page's Idempotency-Key makes the server answer
    with the first submission instead of a second one (issue 12, item 9)."""
    contest, page, _pushes = open_team_page(embedded_env, tmp_path, spawned, browser)
    before = quota_left(page, contest)
    cdp = page.context.new_cdp_session(page)
    held: list[str] = []
    cdp.on("Fetch.requestPaused", lambda event: held.append(event["requestId"]))
    pattern = {"urlPattern": "*/api/v1/events/*/tasks/*/submissions", "requestStage": "Response"}
    cdp.send("Fetch.enable", {"patterns": [pattern]})

    submit(page, good_file(contest, tmp_path))
    deadline = time.monotonic() + 30
    while not held:  # the server answered; its reply waits in Chromium
        assert time.monotonic() < deadline, "the upload's reply never reached the browser"
        page.wait_for_timeout(20)
    cdp.send("Fetch.failRequest", {"requestId": held.pop(), "errorReason": "ConnectionReset"})
    page.wait_for_selector("#upload-message.error")
    cdp.send("Fetch.disable")

    page.click('#upload button[type="submit"]')  # the same file, still chosen
    page.wait_for_selector("#upload-message.ok")
    page.reload()  # what the server holds, not what the page merged
    page.wait_for_selector("#live-status.live")
    assert page.locator(ROWS).count() == 1
    assert quota_left(page, contest) == before - 1
    page.close()

"""Code tasks in a real Chromium, as a team and an organizer use them (issue 16): the team
downloads the starter kit, dry-runs its program and reads its output, uploads it and sees the
run's time and memory in its history; the organizer verifies the winners' code from the
console and sees the verdicts come in."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from core.db import utcnow
from core.models import Event, Task
from organize.code_tasks import CodeSettings
from organize.tasks import create_task, set_inputs
from tests.actions import Api, bearer
from tests.helpers import (
    browser_sign_in,
    env_session,
    prediction_csv,
    seed_env,
    server_in,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_a_team_dry_runs_then_submits_its_program(
    embedded_env: dict[str, str], spawned: list, tmp_path: Path, browser: object
) -> None:
    env = embedded_env
    contest = seed_env(env, tmp_path)
    inputs = tmp_path / "test.csv"
    contest.truth[["id"]].assign(x1=0.5).to_csv(inputs, index=False)
    with env_session(env) as session:
        create_task(
            session,
            session.scalars(select(Event)).one(),
            "code1",
            metric=contest.metric,
            truth=tmp_path / "truth.csv",
            storage_dir=Path(env["HACKJUDGE_STORAGE_DIR"]),
            title="코드 과제",
            code=CodeSettings(inputs, None, 60, 1024),
        )
    server = server_in(env, spawned, tmp_path, "web")
    # The starter kit's program, as the team downloads it from its page's link.
    page = browser_sign_in(browser, server, "p1@test.kr", contest.passwords["p1@test.kr"])
    page.goto(f"{server.url}/events/{contest.event}/team")
    href = page.get_attribute("a[href$='/starter.zip']", "href")
    kit = requests.get(server.url + href, timeout=30)
    program = tmp_path / "main.py"
    program.write_bytes(zipfile.ZipFile(io.BytesIO(kit.content)).read("main.py"))

    page.select_option('select[name="task"]', "code1")
    assert (
        page.is_visible("#dry-run")
        and page.get_attribute("#file-input", "accept") == ".py,.zip,.ipynb"
    )
    page.set_input_files("#file-input", str(program))
    page.click("#dry-run")
    page.wait_for_selector("#dry-run-result .log:has-text('rows: 10')")
    summary = page.text_content("#dry-run-result .summary")
    assert "시험 실행 성공" in summary and "MB" in summary

    page.click('#upload button[type="submit"]')
    row = page.wait_for_selector("#history tbody tr.status-scored")
    assert "종료 코드 0" in row.text_content()
    assert "rows:" not in row.text_content()  # the hidden run's output is not the team's
    page.close()


def test_the_organizer_verifies_from_the_console(
    embedded_env: dict[str, str], spawned: list, tmp_path: Path, browser: object
) -> None:
    env = embedded_env
    contest = seed_env(env, tmp_path)
    inputs = tmp_path / "test.csv"
    contest.truth[["id"]].assign(x1=0.5).to_csv(inputs, index=False)
    with env_session(env) as session:
        task = session.scalars(select(Task)).one()
        set_inputs(session, task, inputs, Path(env["HACKJUDGE_STORAGE_DIR"]))
    server = server_in(env, spawned, tmp_path, "web")
    api = Api(server, contest)
    token = contest.tokens["팀0"]
    predictions = prediction_csv(contest.truth, noise=0.2, seed=3)
    sub = api.finished(api.submit("팀0", predictions), token=token)
    requests.post(f"{server.url}/api/v1/submissions/{sub['id']}/final", headers=bearer(token))
    source = (
        "import pandas as pd\n"
        "pd.read_csv('answers.csv', dtype=str).to_csv('/output/submission.csv', index=False)\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.py", source)
        archive.writestr("answers.csv", predictions)
    attached = requests.post(
        f"{server.url}/api/v1/submissions/{sub['id']}/code",
        headers=bearer(token),
        files={"file": ("code.zip", buffer.getvalue())},
        timeout=30,
    )
    assert attached.status_code == 201, attached.text
    with env_session(env) as session:
        session.scalars(select(Event)).one().end_at = utcnow() - timedelta(minutes=1)

    page = browser_sign_in(
        browser, server, "organizer@test.kr", contest.passwords["organizer@test.kr"]
    )
    page.goto(f"{server.url}/events/{contest.event}/organize")
    page.fill('#verify-form input[name="top"]', "1")
    page.click('#verify-form button[type="submit"]')
    row = page.wait_for_selector("#verify-table tr.verdict-reproduced")
    assert "팀0" in row.text_content() and "재현됨" in row.text_content()
    wait_for(lambda: "0 / 200" in row.text_content(), 10, "rows that differ shown")
    page.close()

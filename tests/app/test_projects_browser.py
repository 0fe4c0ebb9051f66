"""A team's project in Chromium (issue 17): a team fills it in Korean with a PDF and two
screenshots, and a judge reads it beside the team's scores; injected markup stays text."""

from __future__ import annotations

from pathlib import Path

import requests
from sqlalchemy import select

from core.models import Team
from tests import project_files as made
from tests.actions import Api, bearer
from tests.helpers import Proc, browser_sign_in, env_session, seed_env, server_in


def test_team_fills_its_project_and_a_judge_reads_it(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc], browser
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    with env_session(embedded_env) as session:
        team_id = session.scalars(select(Team.id).where(Team.name == "팀0")).one()
    server = server_in(embedded_env, spawned, tmp_path, "web")
    uploads = Api(server, contest)
    assert uploads.finished(uploads.entry("팀0", 0.3))["status"] == "scored"
    files = {
        "slides.pdf": made.pdf(3, "demo"),
        "화면1.png": made.png(800, 500),
        "화면2.jpg": made.jpeg_with_exif(),
    }
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    dialogs: list[str] = []

    # The team page says what is missing and links to the project.
    tab = browser_sign_in(browser, server, "p0@test.kr", contest.passwords["p0@test.kr"])
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.goto(f"{server.url}/events/{contest.event}/team")
    assert tab.locator('#our-project li[data-missing="slides"]').count() == 1
    tab.click("#our-project a")
    tab.wait_for_selector("#project-form")
    assert tab.locator("h1").inner_text().startswith("우리 프로젝트")
    tab.fill('input[name="title"]', "회의록 요약기")
    tab.fill('input[name="summary"]', "회의 녹음을 세 줄 요약으로")
    tab.fill(
        'textarea[name="description"]',
        "## 구조\n\n**KoBART** 미세조정\n\n<script>alert(1)</script>",
    )
    tab.fill('input[name="repo_url"]', "https://github.com/team0/minutes")
    tab.fill('input[name="video_url"]', "https://youtu.be/dQw4w9WgXcQ")
    tab.fill('input[name="tags"]', "PyTorch, KoBART")
    tab.click("#project-form button")
    tab.wait_for_selector(".flash.ok")
    tab.set_input_files('#project-files input[name="file"]', str(tmp_path / "slides.pdf"))
    tab.click("#project-files button")
    tab.wait_for_selector('figure[data-kind="slides"]')
    for name in ("화면1.png", "화면2.jpg"):
        tab.check('#project-files input[value="screenshot"]')
        tab.set_input_files('#project-files input[name="file"]', str(tmp_path / name))
        tab.click("#project-files button")
        tab.wait_for_selector(f'figure figcaption:has-text("{name}")')
    assert tab.locator('figure[data-kind="screenshot"]').count() == 2
    assert tab.locator("li[data-missing]").count() == 0
    assert tab.locator("iframe.project-video").get_attribute("src") == (
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    )
    assert "<script>" in tab.locator(".project-description").inner_text()  # shown as text
    tab.screenshot(path=str(tmp_path / "project.png"))

    # The organizer assigns the judge; the judge reads the project beside the standing.
    organizer = bearer(contest.staff_tokens["organizer"])
    assigned = requests.post(
        f"{server.url}/api/v1/events/{contest.event}/assignments",
        headers=organizer,
        json={"per_team": 1},
        timeout=30,
    )
    assert assigned.status_code == 200, assigned.text
    judge = browser_sign_in(browser, server, "judge@test.kr", contest.passwords["judge@test.kr"])
    judge.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    judge.goto(f"{server.url}/events/{contest.event}/review/teams/{team_id}")
    project = judge.locator("#team-project")
    assert project.locator(".project-title").inner_text() == "회의록 요약기"
    assert project.locator("strong", has_text="KoBART").count() == 1
    assert project.locator("a[href='https://github.com/team0/minutes']").count() == 1
    assert judge.locator("#standing tr[data-task]").count() == 1
    for img in project.locator("figure img").all():
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    assert project.locator("figure").count() == 3
    csp = judge.evaluate("() => document.querySelector('iframe') !== null")
    assert csp
    judge.screenshot(path=str(tmp_path / "review.png"))

    # Another team's member reaches neither the page's API nor the files.
    other = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/teams/{team_id}/project",
        headers=bearer(contest.tokens["팀1"]),
        timeout=30,
    )
    assert other.status_code == 404
    assert dialogs == []

"""A criterion that names what it judges, in Chromium (issue 17): the organizer defines
"기술성: 코드와 모델" as judging the code in the review console; the judge scoring it follows
its link from the score to the team's code, and "완성도: 데모" to the demo video."""

from __future__ import annotations

from pathlib import Path

import requests
from sqlalchemy import select

from core.models import Team
from tests import project_files as made
from tests.actions import Api, bearer
from tests.helpers import Proc, browser_sign_in, env_session, seed_env, server_in


def test_a_judge_follows_a_criterion_to_the_part_it_judges(
    embedded_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
    browser,  # noqa: ANN001
    screenshots: Path,
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    with env_session(embedded_env) as session:
        team_id = session.scalars(select(Team.id).where(Team.name == "팀0")).one()
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    saved = api.save_project(
        team_id,
        contest.tokens["팀0"],
        title="회의록 요약기",
        description="\n\n".join(f"{i}단계: 녹음을 받아 문단으로 나눈다." for i in range(1, 16)),
        repo_url="https://github.com/team0/minutes",
        video_url="https://youtu.be/dQw4w9WgXcQ",
    )
    assert saved.status_code == 200, saved.json()
    slides = api.add_project_file(team_id, contest.tokens["팀0"], made.pdf(2), "s.pdf", "slides")
    assert slides.status_code == 201, slides.json()

    console = browser_sign_in(
        browser, server, "organizer@test.kr", contest.passwords["organizer@test.kr"]
    )
    console.goto(f"{server.url}/events/{contest.event}/review")
    for name, part in (("기술성: 코드와 모델", "code"), ("완성도: 데모", "demo"), ("종합", "")):
        console.fill('#criterion-form input[name="name"]', name)
        console.fill('#criterion-form input[name="weight"]', "1")
        console.select_option('#criterion-form select[name="judges"]', part)
        console.click("#criterion-form button")
        console.wait_for_selector(f"#criteria td:text-is('{name}')")
    judged = console.locator("#criteria td.judges").all_inner_texts()
    assert judged == ["코드", "데모", "팀 전체"]
    assigned = requests.post(
        f"{server.url}/api/v1/events/{contest.event}/assignments",
        headers=bearer(contest.staff_tokens["organizer"]),
        json={"per_team": 1},
        timeout=30,
    )
    assert assigned.status_code == 200, assigned.text

    # A short window: the code is below the fold until the link brings it into view.
    judge = browser_sign_in(
        browser,
        server,
        "judge@test.kr",
        contest.passwords["judge@test.kr"],
        viewport={"width": 1000, "height": 500},
    )
    judge.goto(f"{server.url}/events/{contest.event}/review/teams/{team_id}")
    rubric = judge.locator("#rubric p")
    assert rubric.nth(2).locator("a.judges").count() == 0  # 종합: the team as a whole
    in_view = (
        "e => { const r = e.getBoundingClientRect(); "
        "return r.top >= 0 && r.bottom <= innerHeight; }"
    )
    repo = judge.locator("#project-repo")
    assert not repo.evaluate(in_view)
    link = rubric.nth(0).locator("a.judges")
    assert link.inner_text() == "코드 보기"
    link.click()
    judge.wait_for_function("location.hash === '#project-repo'")
    assert repo.evaluate(in_view)
    assert repo.locator("a").get_attribute("href") == "https://github.com/team0/minutes"
    judge.locator("#rubric").screenshot(path=str(screenshots / "rubric-links.png"))
    demo = rubric.nth(1).locator("a.judges")
    assert demo.inner_text() == "데모 영상 보기"
    demo.click()
    judge.wait_for_function("location.hash === '#project-video'")
    assert judge.locator("#project-video a").get_attribute("href") == "https://youtu.be/dQw4w9WgXcQ"

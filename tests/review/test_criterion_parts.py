"""Rubric criteria name the part of the team's work they judge (issue 17), on SQLite and
PostgreSQL: set through the API, refused when it names no part, and linked from the judge's
page to that part (its own block when the team has it, else the project)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.models import AuditEntry, Team
from tests import project_files as made
from tests.actions import Api, bearer
from tests.helpers import Contest


def _links(html: str) -> dict[str, str]:
    """The judge's rubric links: the part each criterion judges → where its link goes."""
    return dict(re.findall(r'<a class="judges" data-judges="(\w+)" href="([^"]+)"', html))


def test_criteria_name_what_they_judge(client: FlaskClient, contest: Contest, api: Api) -> None:
    base = f"/api/v1/events/{contest.event}/criteria"
    organizer = bearer(contest.staff_tokens["organizer"])
    made_ = client.post(
        base, headers=organizer, json={"name": "기술성: 코드와 모델", "weight": 2, "judges": "code"}
    )
    assert made_.status_code == 201 and made_.json["judges"] == "code", made_.json
    general = client.post(base, headers=organizer, json={"name": "종합", "weight": 1})
    assert general.status_code == 201 and general.json["judges"] == ""
    listed = client.get(base, headers=bearer(contest.staff_tokens["judge"])).json["criteria"]
    assert [(c["name"], c["judges"]) for c in listed] == [
        ("기술성: 코드와 모델", "code"),
        ("종합", ""),
    ]

    # A part that is not one: a 400 that names the field and the parts, nothing stored.
    for judges in ("model", "Code", 3, None, ["code"]):
        bad = client.post(
            f"{base}?lang=en", headers=organizer, json={"name": "x", "weight": 1, "judges": judges}
        )
        assert bad.status_code == 400, (judges, bad.json)
        assert "judges" in bad.json["error"]["message"], bad.json
    assert "scores" in bad.json["error"]["message"]
    korean = client.post(base, headers=organizer, json={"name": "x", "weight": 1, "judges": "ui"})
    assert korean.status_code == 400 and "judges" in korean.json["error"]["message"]
    # Only organizers define the rubric.
    for token in (contest.staff_tokens["judge"], contest.tokens["팀0"]):
        refused = client.post(
            base, headers=bearer(token), json={"name": "y", "weight": 1, "judges": "demo"}
        )
        assert refused.status_code == 403
    assert len(client.get(base, headers=organizer).json["criteria"]) == 2
    with db.begin() as session:
        added = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "criterion.add").order_by(AuditEntry.id)
        ).first()
        assert added is not None and '"judges": "code"' in added.after


def test_the_judges_page_links_each_criterion_to_its_part(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    base = f"/api/v1/events/{contest.event}"
    organizer = bearer(contest.staff_tokens["organizer"])
    for name, part in (
        ("정확도", "scores"),
        ("기술성", "code"),
        ("완성도: 데모", "demo"),
        ("발표", "slides"),
        ("기획", "project"),
        ("종합", ""),
    ):
        body = {"name": name, "weight": 1, "judges": part}
        assert client.post(f"{base}/criteria", headers=organizer, json=body).status_code == 201
    assigned = client.post(f"{base}/assignments", headers=organizer, json={"per_team": 1})
    assert assigned.status_code == 200, assigned.json
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    # 팀0 has a repository, a demo video and slides; 팀1 has nothing yet.
    saved = api.save_project(
        ids["팀0"],
        contest.tokens["팀0"],
        title="요약기",
        repo_url="https://github.com/team0/minutes",
        video_url="https://youtu.be/dQw4w9WgXcQ",
    )
    assert saved.status_code == 200, saved.json
    slides = api.add_project_file(ids["팀0"], contest.tokens["팀0"], made.pdf(1), "s.pdf", "slides")
    assert slides.status_code == 201, slides.json

    assert api.sign_in("judge@test.kr").status_code == 302
    page = client.get(f"/events/{contest.event}/review/teams/{ids['팀0']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _links(html) == {
        "scores": "#team-scores",
        "code": "#project-repo",  # no verification yet: the repository is the code
        "demo": "#project-video",
        "slides": "#project-slides",
        "project": "#team-project",
    }
    for target in _links(html).values():  # every link lands on a block of the page
        assert f'id="{target[1:]}"' in html, target
    assert "코드 보기" in html and "데모 영상 보기" in html
    # A team without them: the links go to its project, where their absence shows.
    empty = client.get(f"/events/{contest.event}/review/teams/{ids['팀1']}").get_data(as_text=True)
    assert _links(empty) == {
        "scores": "#team-scores",
        "code": "#team-project",
        "demo": "#team-project",
        "slides": "#team-project",
        "project": "#team-project",
    }
    english = client.get(f"/events/{contest.event}/review/teams/{ids['팀0']}?lang=en")
    assert "See the code" in english.get_data(as_text=True)
    # The organizer's console lists what each criterion judges.
    assert api.sign_in("organizer@test.kr").status_code == 302
    console = client.get(f"/events/{contest.event}/review").get_data(as_text=True)
    cells = re.findall(r'<td class="judges">([^<]*)</td>', console)
    assert cells == ["점수", "코드", "데모", "발표 자료", "프로젝트", "팀 전체"]

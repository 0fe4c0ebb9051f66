"""The gallery (issue 17) on SQLite and PostgreSQL: nothing of it (cards, projects, files,
ranks, awards) reaches a participant or the anonymous before the final ranking is published;
everything does after, in rank order with awards, members by name and never by e-mail."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.db import utcnow
from core.models import Team
from tests import project_files as made
from tests.actions import Api, bearer
from tests.final_round import publish_final
from tests.helpers import Contest, move_event


def test_gallery_is_staff_only_until_published_then_public(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    tokens = contest.tokens
    saved = api.save_project(ids["팀1"], tokens["팀1"], title="이미지 분류기", summary="꽃 사진")
    assert saved.status_code == 200, saved.json
    api.save_project(ids["팀0"], tokens["팀0"], title="한글 요약기", tags=["KoBART"])
    shot = api.add_project_file(ids["팀0"], tokens["팀0"], made.png(), "화면.png", "screenshot")
    assert shot.status_code == 201, shot.json
    file_id = shot.json["file_id"]
    base = f"/api/v1/events/{contest.event}"
    project0 = f"{base}/teams/{ids['팀0']}/project"
    thumb0 = f"{project0}/files/{file_id}/thumbnail"

    # Before publication: nothing for a participant (not even their own card) or the anonymous.
    assert client.get(f"{base}/projects", headers=bearer(tokens["팀0"])).status_code == 403
    assert client.get(f"{base}/projects").status_code == 401
    assert client.get(project0).status_code == 401
    assert client.get(thumb0).status_code == 401
    assert client.get(project0, headers=bearer(tokens["팀1"])).status_code == 404
    assert client.get(thumb0, headers=bearer(tokens["팀1"])).status_code == 404
    asked = client.get(f"/events/{contest.event}/gallery")
    assert asked.status_code == 302 and "/login" in asked.location  # sign in first
    page = client.get(f"/events/{contest.event}/gallery", headers=bearer(tokens["팀1"]))
    assert page.status_code == 403
    early = client.get(
        f"/events/{contest.event}/gallery/{ids['팀0']}", headers=bearer(tokens["팀1"])
    )
    assert early.status_code == 403 and "한글 요약기" not in early.get_data(as_text=True)
    staff = client.get(f"{base}/projects", headers=bearer(contest.staff_tokens["judge"]))
    assert staff.status_code == 200 and staff.json["published"] is False
    # Staff see the cards but no rank: the order is not public yet.
    assert {(c["team"], c["rank"]) for c in staff.json["projects"]} == {
        ("팀0", None),
        ("팀1", None),
    }

    publish_final(api, contest)
    # The end moved a second back, maybe before the saves above: the projects' deadline is now.
    move_event(project_deadline_at=utcnow())
    organizer = bearer(contest.staff_tokens["organizer"])
    given = client.post(f"{base}/awards", headers=organizer, json={"by_rank": ["대상", "최우수상"]})
    assert given.status_code == 201, given.json

    public = client.get(f"{base}/projects")
    assert public.status_code == 200 and public.json["published"] is True
    cards = public.json["projects"]
    # 팀2 saved no project: no card.
    assert [(c["team"], c["rank"], c["awards"]) for c in cards] == [
        ("팀0", 1, ["대상"]),
        ("팀1", 2, ["최우수상"]),
    ]
    assert cards[0]["thumbnail_url"].endswith(f"/files/{file_id}/thumbnail")
    assert cards[1]["thumbnail_url"] is None and cards[1]["summary"] == "꽃 사진"
    read = client.get(cards[0]["project_url"])
    assert read.status_code == 200 and read.json["title"] == "한글 요약기"
    assert read.json["members"] and all("@" not in m for m in read.json["members"])
    other = client.get(project0, headers=bearer(tokens["팀1"]))
    assert other.status_code == 200 and all("@" not in m for m in other.json["members"])
    image = client.get(cards[0]["thumbnail_url"])
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert client.get(f"{project0}/files/{file_id}").status_code == 200
    # Public reading, not writing.
    assert client.put(project0, json={"title": "x"}).status_code == 401
    refused = api.save_project(ids["팀0"], tokens["팀1"], title="hijacked")
    assert refused.status_code == 403

    index = client.get(f"/events/{contest.event}/gallery")
    text = index.get_data(as_text=True)
    assert index.status_code == 200 and "한글 요약기" in text and "대상" in text
    assert text.index("한글 요약기") < text.index("이미지 분류기")
    one = client.get(cards[0]["page_url"])
    assert one.status_code == 200 and "최우수상" not in one.get_data(as_text=True)
    assert "대상" in one.get_data(as_text=True) and "KoBART" in one.get_data(as_text=True)
    # A hidden team's project stays with staff.
    with db.begin() as session:
        session.get(Team, ids["팀1"]).hidden = True
    assert client.get(f"{base}/teams/{ids['팀1']}/project").status_code == 401
    assert [c["team"] for c in client.get(f"{base}/projects").json["projects"]] == ["팀0"]

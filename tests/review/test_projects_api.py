"""A team's project through the REST API on SQLite and PostgreSQL (issue 17): saving and
versions, files and their checks, who may read and edit, and injection in every field."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from core.db import utcnow
from core.models import Team
from tests import project_files as made
from tests.actions import Api
from tests.helpers import Contest, move_event

KOREAN = {
    "title": "한글 요약기",
    "summary": "회의록을 세 줄로 요약합니다",
    "description": "## 소개\n\n**KoBART**로 만든 요약기입니다.\n\n- 데이터: AI Hub\n",
    "repo_url": "https://github.com/team0/summarizer",
    "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "tags": ["PyTorch", "KoBART", "FastAPI"],
}


def team_ids() -> dict[str, int]:
    with db.begin() as session:
        return {t.name: t.id for t in session.scalars(select(Team))}


def test_team_saves_versions_and_staff_read(api: Api, contest: Contest) -> None:
    ids = team_ids()
    mine, other = contest.tokens["팀0"], contest.tokens["팀1"]
    empty = api.project(ids["팀0"], mine)
    assert empty.status_code == 200 and empty.json["version"] == 0
    assert "slides" in empty.json["missing"] and "title" in empty.json["missing"]

    saved = api.save_project(ids["팀0"], mine, **KOREAN)
    assert saved.status_code == 200, saved.json
    body = saved.json
    assert body["version"] == 1 and body["title"] == "한글 요약기"
    assert "<strong>KoBART</strong>" in body["description_html"]
    assert body["video_embed"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert body["tags"] == ["PyTorch", "KoBART", "FastAPI"]
    assert body["members"] == ["참가자0"]
    assert body["missing"] == ["slides", "screenshots"]
    again = api.save_project(ids["팀0"], mine, **{**KOREAN, "title": "요약기 2"})
    assert again.json["version"] == 2

    for role in ("organizer", "judge"):
        read = api.project(ids["팀0"], contest.staff_tokens[role])
        assert read.status_code == 200 and read.json["title"] == "요약기 2"

    # Another team's member: nothing to read (404), no editing (403), no files (403).
    assert api.project(ids["팀0"], other).status_code == 404
    assert api.save_project(ids["팀0"], other, title="hijacked").status_code == 403
    pdf = api.add_project_file(ids["팀0"], other, made.pdf(), "s.pdf", "slides")
    assert pdf.status_code == 403
    assert api.project(ids["팀0"], None).status_code == 401
    assert api.project(ids["팀0"], mine).json["title"] == "요약기 2"
    # Staff read; they do not write.
    assert api.save_project(ids["팀0"], contest.staff_tokens["judge"], title="x").status_code == 403
    # A judge who declares a conflict of interest with the team reads its project no more.
    judge = contest.staff_tokens["judge"]
    declared = api.client.post(
        f"/api/v1/events/{contest.event}/teams/{ids['팀0']}/conflict",
        headers={"Authorization": f"Bearer {judge}"},
        json={"reason": "지도 교수"},
    )
    assert declared.status_code == 200, declared.json
    assert api.project(ids["팀0"], judge).status_code == 404
    assert api.project(ids["팀0"], contest.staff_tokens["organizer"]).status_code == 200


def test_judges_see_the_version_as_of_the_deadline(api: Api, contest: Contest) -> None:
    ids = team_ids()
    mine = contest.tokens["팀0"]
    assert api.save_project(ids["팀0"], mine, title="마감 전").status_code == 200
    between = utcnow()
    assert api.save_project(ids["팀0"], mine, title="마감 후").status_code == 200
    move_event(project_deadline_at=between)
    assert api.project(ids["팀0"], contest.staff_tokens["judge"]).json["title"] == "마감 전"
    assert api.project(ids["팀0"], mine).json["title"] == "마감 후"
    late = api.save_project(ids["팀0"], mine, title="너무 늦음", lang="en")
    assert late.status_code == 409 and "마감" in late.json["error"]["message"]


def test_slides_and_screenshots(api: Api, contest: Contest, client: FlaskClient) -> None:
    ids = team_ids()
    mine = contest.tokens["팀0"]
    slides = api.add_project_file(ids["팀0"], mine, made.pdf(3), "발표자료.pdf", "slides")
    assert slides.status_code == 201, slides.json
    project = slides.json["project"]
    (entry,) = project["files"]
    assert entry["kind"] == "slides" and entry["filename"] == "발표자료.pdf"
    thumb = client.get(entry["thumbnail_url"], headers={"Authorization": f"Bearer {mine}"})
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    assert Image.open(io.BytesIO(thumb.data)).width <= 480
    judge = {"Authorization": f"Bearer {contest.staff_tokens['judge']}"}
    download = client.get(entry["url"], headers=judge)
    assert (
        download.data.startswith(b"%PDF-")
        and "attachment" in download.headers["Content-Disposition"]
    )
    # Another team's member cannot fetch the file either.
    other = {"Authorization": f"Bearer {contest.tokens['팀1']}"}
    assert client.get(entry["url"], headers=other).status_code == 404

    for body, name in ((made.png(), "a.png"), (made.jpeg_with_exif(), "b.jpg")):
        shot = api.add_project_file(ids["팀0"], mine, body, name, "screenshot")
        assert shot.status_code == 201, shot.json
    files = api.project(ids["팀0"], mine).json["files"]
    assert [f["kind"] for f in files] == ["slides", "screenshot", "screenshot"]
    for shot in files[1:]:
        kept = client.get(shot["url"], headers=judge).data
        assert kept.startswith(b"\x89PNG") and b"secret" not in kept and b"SecretCam" not in kept
        assert Image.open(io.BytesIO(kept)).info.get("exif") is None

    # New slides replace the old; a removed file leaves the project.
    again = api.add_project_file(ids["팀0"], mine, made.pdf(1), "v2.pdf", "slides")
    kinds = [(f["kind"], f["filename"]) for f in again.json["project"]["files"]]
    assert kinds.count(("slides", "v2.pdf")) == 1 and ("slides", "발표자료.pdf") not in kinds
    removed = client.delete(
        f"{api.project_path(ids['팀0'])}/files/{files[1]['id']}",
        headers={"Authorization": f"Bearer {mine}"},
    )
    assert removed.status_code == 200 and len(removed.json["files"]) == 2

    for i in range(5):
        shot = api.add_project_file(ids["팀0"], mine, made.png(), f"{i}.png", "screenshot")
        assert shot.status_code == 201
    seventh = api.add_project_file(ids["팀0"], mine, made.png(), "7.png", "screenshot")
    assert seventh.status_code == 409


def test_files_that_lie_are_refused(api: Api, contest: Contest) -> None:
    ids = team_ids()
    mine = contest.tokens["팀0"]
    cases = (
        (made.html_as_pdf(), "slides.pdf", "slides"),  # HTML named .pdf
        (b"%PDF-1.7\n<script>alert(1)</script>", "fake.pdf", "slides"),  # a PDF's magic only
        (made.zip_as_png(), "shot.png", "screenshot"),  # a ZIP named .png
        (made.huge_png(), "bomb.png", "screenshot"),  # 50 megapixels
        (made.pdf(), "slides.png", "screenshot"),  # a PDF as a screenshot
    )
    for body, name, kind in cases:
        refused = api.add_project_file(ids["팀0"], mine, body, name, kind, lang="en")
        assert refused.status_code == 422, (name, refused.json)
    huge = api.add_project_file(ids["팀0"], mine, made.huge_png(), "b.png", "screenshot", lang="en")
    assert "50메가픽셀" in huge.json["error"]["message"]
    assert api.project(ids["팀0"], mine).json["files"] == []
    too_big = api.add_project_file(
        ids["팀0"], mine, b"%PDF-" + b"0" * 21_000_000, "big.pdf", "slides"
    )
    assert too_big.status_code == 413
    wrong = api.add_project_file(ids["팀0"], mine, made.pdf(), "s.pdf", "video")
    assert wrong.status_code == 400


INJECTIONS = (
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "![x](https://evil.example/p.png)",
)


def elements(html: str) -> tuple[set[str], list[tuple[str, str | None]]]:
    """The tags and attributes a browser would build from ``html``."""
    found: tuple[set[str], list[tuple[str, str | None]]] = (set(), [])

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found[0].add(tag)
            found[1].extend(attrs)

    Reader().feed(html)
    return found


def test_injection_in_every_field_renders_inert(
    api: Api, contest: Contest, client: FlaskClient, app: Flask
) -> None:
    ids = team_ids()
    mine = contest.tokens["팀0"]
    payload = " ".join(INJECTIONS)
    saved = api.save_project(
        ids["팀0"],
        mine,
        title=payload[:200],
        summary=payload[:300],
        description="\n\n".join(INJECTIONS),
        tags=[i[:30] for i in INJECTIONS],
    )
    assert saved.status_code == 200, saved.json
    tags, attributes = elements(saved.json["description_html"])
    assert tags <= {"p", "a", "br"}, tags  # the injections came out as text
    assert not [a for a in attributes if a[0].startswith("on") or "javascript" in (a[1] or "")]
    for url in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x"):
        for field in ("repo_url", "video_url"):
            refused = api.save_project(ids["팀0"], mine, **{field: url})
            assert refused.status_code == 400, (field, url)
    # A link to an unknown video host is a link, never an embed.
    other = api.save_project(ids["팀0"], mine, video_url='https://evil.example/"><script>')
    assert other.status_code == 200 and other.json["video_embed"] is None


def test_the_page_form_takes_the_longest_korean_description(
    client: FlaskClient, api: Api, contest: Contest
) -> None:
    """The project page posts its text URL-encoded: a Hangul syllable is 9 bytes on the wire,
    so the page's body limit must allow the longest description the API takes."""
    from review.project_text import MAX_DESCRIPTION

    api.sign_in("p0@test.kr")
    page = client.get(f"/events/{contest.event}/project").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    longest = "한" * MAX_DESCRIPTION
    reply = client.post(
        f"/events/{contest.event}/project",
        data={"csrf_token": token, "title": "요약기", "description": longest},
    )
    assert reply.status_code == 302, reply.status_code
    saved = api.project(team_ids()["팀0"], contest.tokens["팀0"])
    assert saved.json["description"] == longest


def test_a_member_cannot_fill_the_disk_with_project_files(
    api: Api, contest: Contest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every version's files are kept, so a project's files in all have a cap, and each
    member an hourly number of uploads (each slides file costs a pdftoppm run)."""
    from review import project_files, projects

    ids = team_ids()
    mine = contest.tokens["팀0"]
    shot = made.png()
    first = api.add_project_file(ids["팀0"], mine, shot, "s0.png", "screenshot")
    assert first.status_code == 201
    kept_size = first.json["project"]["files"][0]["size"]  # re-encoded: the size as kept
    # The cap, made small enough for a test to reach: three screenshots' worth.
    monkeypatch.setattr(projects, "MAX_PROJECT_BYTES", 3 * kept_size + kept_size // 2)
    answers = [first] + [
        api.add_project_file(ids["팀0"], mine, shot, f"s{i}.png", "screenshot") for i in (1, 2, 3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 409]
    assert f"{projects.MAX_PROJECT_BYTES / 1e6:g} MB" in answers[3].json["error"]["message"]
    kept = api.project(ids["팀0"], mine).json
    assert len([f for f in kept["files"] if f["kind"] == "screenshot"]) == 3

    budget = project_files.FILE_UPLOADS_PER_HOUR - len(answers)
    for i in range(budget):
        assert (
            api.add_project_file(ids["팀0"], mine, shot, f"t{i}.png", "screenshot").status_code
            == 409
        )
    over = api.add_project_file(ids["팀0"], mine, shot, "late.png", "screenshot")
    assert over.status_code == 429 and over.headers["Retry-After"]

"""Issue 17's pages read in English with ``?lang=en`` (SQLite and PostgreSQL): the project
edit page, the team page's certificate link, the gallery, a gallery project page, the console's
projects and awards sections, the judge's team page and the certificate itself. No Korean is
left on them but what people wrote (the event's title, team and member names, awards)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.db import utcnow
from core.models import Team
from tests import project_files as made
from tests.actions import Api, bearer
from tests.final_round import publish_final
from tests.helpers import Contest, move_event

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]+")
# What people wrote, in Korean: the seeded event, teams, members, affiliations; the awards;
# the language switch names itself.
WRITTEN = re.compile(r"테스트 대회|팀\d|참가자\d|소속\d|대상|최우수상|한국어")


def korean_left(text: str) -> list[str]:
    """Korean words left once what people wrote is taken out, each with its surroundings."""
    rest = WRITTEN.sub("", text)
    return [rest[max(0, m.start() - 60) : m.end() + 60] for m in HANGUL.finditer(rest)]


def _page(client: FlaskClient, path: str) -> str:
    reply = client.get(path)
    assert reply.status_code == 200, (path, reply.status_code)
    return reply.get_data(as_text=True)


def test_issue_17s_pages_in_english(
    client: FlaskClient,
    contest: Contest,
    api: Api,
    tmp_path: Path,
    settings,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    event = contest.event
    saved = api.save_project(
        ids["팀0"],
        contest.tokens["팀0"],
        title="Minutes summariser",
        summary="Three lines from an hour",
        repo_url="https://github.com/team0/minutes",
        tags=["PyTorch"],
    )
    assert saved.status_code == 200, saved.json
    for body, name, kind in ((made.pdf(1), "s.pdf", "slides"), (made.png(), "a.png", "screenshot")):
        added = api.add_project_file(ids["팀0"], contest.tokens["팀0"], body, name, kind)
        assert added.status_code == 201, added.json
    # The team edits its project (the forms are there before the deadline).
    assert api.sign_in("p0@test.kr").status_code == 302
    edit = _page(client, f"/events/{event}/project?lang=en")
    assert 'id="project-form"' in edit and "Our project" in edit
    assert korean_left(edit) == []

    publish_final(api, contest)
    move_event(project_deadline_at=utcnow())  # the saves above, not a second before the end
    organizer = bearer(contest.staff_tokens["organizer"])
    awards = f"/api/v1/events/{event}/awards"
    client.post(awards, headers=organizer, json={"by_rank": ["대상", "최우수상"]})
    team = _page(client, f"/events/{event}/team?lang=en")
    link = re.search(r'<p id="certificate"><a href="([^"]+)"', team)
    assert link and "lang=en" in link[1], team
    assert korean_left(team) == []
    certificate = client.get(link[1].replace("&amp;", "&"))
    assert certificate.status_code == 200 and certificate.mimetype == "application/pdf"
    text = text_of(certificate.data, tmp_path)
    for expected in ("Certificate of Award", "Team: 팀0", "Award: 대상", "organizing committee"):
        assert expected in text, (expected, text)
    assert re.search(
        r"(January|February|March|April|May|June|July|August|September|"
        r"October|November|December) \d{1,2}, \d{4}",
        text,
    ), text
    assert korean_left(text) == []
    # 팀2's, without an award, in bulk from the command line in English.
    monkeypatch.setenv("HACKJUDGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HACKJUDGE_INSTANCE_DIR", str(settings.instance_dir))
    from app.cli import main

    out = tmp_path / "certificates"
    done = CliRunner().invoke(main, ["certificates", event, "--out", str(out), "--lang", "en"])
    assert done.exit_code == 0, done.output
    bulk = text_of((out / f"team-{ids['팀2']}.pdf").read_bytes(), tmp_path)
    for expected in ("Certificate of Participation", "Award: Participation", "took part in"):
        assert expected in bulk, (expected, bulk)
    assert korean_left(bulk) == []
    client.post("/logout", data={"csrf_token": _token(team)})

    # Anyone: the gallery and a project's page.
    gallery = _page(client, f"/events/{event}/gallery?lang=en")
    assert "Project gallery" in gallery and "Rank 1" in gallery
    assert korean_left(gallery) == []
    project = _page(client, f"/events/{event}/gallery/{ids['팀0']}?lang=en")
    assert "Minutes summariser" in project and "Slides" in project
    assert korean_left(project) == []

    # The organizer's console (its projects and awards sections among the rest) and a team's
    # page as judges read it.
    assert api.sign_in("organizer@test.kr").status_code == 302
    console = _page(client, f"/events/{event}/organize?lang=en")
    assert "Awards" in console and "by the final ranking: rank 1" in console
    assert "Give by the ranking" in console and "e.g. Grand prize 1" in console
    assert korean_left(console) == []
    review = _page(client, f"/events/{event}/review/teams/{ids['팀0']}?lang=en")
    assert korean_left(review) == []


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _token(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match
    return match[1]

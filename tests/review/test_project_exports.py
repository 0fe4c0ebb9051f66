"""Projects in the organizers' exports (issue 17) on SQLite and PostgreSQL: the zip of every
project with its files, and the XLSX's projects sheet; organizers only."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.models import Team
from tests import project_files as made
from tests.actions import Api, bearer
from tests.helpers import Contest


def test_projects_zip_and_sheet(client: FlaskClient, contest: Contest, api: Api) -> None:
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    token = contest.tokens["팀0"]
    api.save_project(ids["팀0"], token, title="한글 요약기", description="## 소개", tags=["KoBART"])
    shot = api.add_project_file(ids["팀0"], token, made.png(), "../../화면.png", "screenshot")
    assert shot.status_code == 201, shot.json
    slides = api.add_project_file(ids["팀0"], token, made.pdf(), "발표.pdf", "slides")
    assert slides.status_code == 201, slides.json
    base = f"/api/v1/events/{contest.event}"

    assert client.get(f"{base}/projects.zip").status_code == 401
    for who in (token, contest.staff_tokens["judge"]):
        assert client.get(f"{base}/projects.zip", headers=bearer(who)).status_code == 403
    got = client.get(f"{base}/projects.zip", headers=bearer(contest.staff_tokens["organizer"]))
    assert got.status_code == 200 and got.mimetype == "application/zip"
    book = zipfile.ZipFile(io.BytesIO(got.data))
    names = book.namelist()
    folder = f"team-{ids['팀0']}"
    assert f"{folder}/project.md" in names
    assert "한글 요약기" in book.read(f"{folder}/project.md").decode()
    files = [n for n in names if n != f"{folder}/project.md"]
    assert len(files) == 2 and all(n.startswith(f"{folder}/") and ".." not in n for n in files)
    pdf = next(n for n in files if n.endswith("발표.pdf"))
    assert book.read(pdf).startswith(b"%PDF")

    xlsx = client.get(f"{base}/export.xlsx", headers=bearer(contest.staff_tokens["organizer"]))
    sheet = pd.read_excel(io.BytesIO(xlsx.data), sheet_name="projects")
    assert list(sheet["team"]) == ["팀0"] and list(sheet["title"]) == ["한글 요약기"]
    assert sheet["tags"][0] == "KoBART" and "발표.pdf" in sheet["files"][0]

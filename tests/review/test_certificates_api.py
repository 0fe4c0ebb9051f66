"""Certificates (issue 17) on SQLite and PostgreSQL: the team downloads its PDF once the final
ranking is published, and its text (pdftotext) holds the event, the team, the member and the
award; nobody else's team gets it, nor anyone before publication but staff; the CLI writes
every team's."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.models import Team
from tests.actions import Api, bearer
from tests.final_round import publish_final
from tests.helpers import Contest


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_certificates(
    client: FlaskClient,
    contest: Contest,
    api: Api,
    settings,
    monkeypatch,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    base = f"/api/v1/events/{contest.event}/certificates"
    mine = f"{base}/{ids['팀0']}.pdf"
    assert client.get(mine).status_code == 401
    early = client.get(mine, headers=bearer(contest.tokens["팀0"]))
    assert early.status_code == 403  # the award would tell the ranking before it is public
    staff = client.get(mine, headers=bearer(contest.staff_tokens["organizer"]))
    assert staff.status_code == 200 and staff.data.startswith(b"%PDF")

    publish_final(api, contest)
    organizer = bearer(contest.staff_tokens["organizer"])
    given = client.post(
        f"/api/v1/events/{contest.event}/awards", headers=organizer, json={"by_rank": ["대상"]}
    )
    assert given.status_code == 201
    got = client.get(mine, headers=bearer(contest.tokens["팀0"]))
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    text = text_of(got.data, tmp_path)
    for expected in ("테스트 대회", "팀: 팀0", "수상: 대상", "참가자0", "년"):
        assert expected in text, (expected, text)
    # Another team's member: not theirs; a team without an award: a participation page.
    other = client.get(f"{base}/{ids['팀1']}.pdf", headers=bearer(contest.tokens["팀0"]))
    assert other.status_code == 404
    theirs = client.get(f"{base}/{ids['팀1']}.pdf", headers=bearer(contest.tokens["팀1"]))
    assert "참가 확인서" in text_of(theirs.data, tmp_path) and "대상" not in text_of(
        theirs.data, tmp_path
    )

    monkeypatch.setenv("HACKJUDGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HACKJUDGE_INSTANCE_DIR", str(settings.instance_dir))
    from app.cli import main

    out = tmp_path / "certs"
    done = CliRunner().invoke(main, ["certificates", contest.event, "--out", str(out)])
    assert done.exit_code == 0, done.output
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == len(ids)
    assert "대상" in text_of((out / f"team-{ids['팀0']}.pdf").read_bytes(), tmp_path)

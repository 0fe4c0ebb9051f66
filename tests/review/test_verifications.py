"""Winners' code verification through the API, with the real sandbox (issue 16): three teams
pick a file and attach the code behind it; one reproduces it, one differs in 1% of the rows,
one crashes. The organizer verifies the top 3; the verdicts reach the API, the review page,
the export and the audit log, and a differing one disqualifies its team with its reason."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from config import Settings
from core.db import utcnow
from core.models import Task
from organize.tasks import set_inputs
from tests.actions import Api, bearer
from tests.helpers import Contest, move_event, prediction_csv

pytestmark = pytest.mark.slow

PROGRAM = """\
import pandas as pd
features = pd.read_csv("/input/test.csv", dtype={"id": str})
answers = pd.read_csv("answers.csv", dtype={"id": str}).set_index("id")
answers.loc[features["id"]].reset_index().to_csv("/output/submission.csv", index=False)
"""


def bundle(answers: bytes, program: str = PROGRAM) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.py", program)
        archive.writestr("answers.csv", answers)
    return buffer.getvalue()


def differing(contest: Contest, predictions: bytes, share: float) -> bytes:
    """The same predictions with ``share`` of the private rows turned around."""
    frame = pd.read_csv(io.BytesIO(predictions), dtype={"id": str})
    private_ids = contest.truth.loc[~contest.public_mask(), "id"]
    changed = private_ids.iloc[: max(1, round(len(contest.truth) * share))]
    rows = frame["id"].isin(changed)
    frame.loc[rows, "target"] = 1 - frame.loc[rows, "target"]
    return frame.to_csv(index=False).encode()


def pick_with_code(client: FlaskClient, api: Api, team: str, file: bytes, code: bytes) -> str:
    token = api.token(team)
    sub = api.finished(api.submit(team, file), token=token)
    assert (
        client.post(f"/api/v1/submissions/{sub['id']}/final", headers=bearer(token)).status_code
        == 200
    )
    attached = client.post(
        f"/api/v1/submissions/{sub['id']}/code",
        headers=bearer(token),
        data={"file": (io.BytesIO(code), "solution.zip")},
        content_type="multipart/form-data",
    )
    assert attached.status_code == 201, attached.json
    return sub["id"]


def test_reproduced_differs_and_crashed(
    app: Flask, client: FlaskClient, settings: Settings, contest: Contest, tmp_path: Path, api: Api
) -> None:
    inputs = tmp_path / "test.csv"
    contest.truth[["id"]].assign(x=1).to_csv(inputs, index=False)
    with db.begin() as session:
        set_inputs(session, session.scalars(select(Task)).one(), inputs, settings.storage_dir)
    files = {
        team: prediction_csv(contest.truth, noise=noise, seed=i)
        for i, (team, noise) in enumerate([("팀0", 0.2), ("팀1", 0.3), ("팀2", 0.4)])
    }
    crash = "import sys\nsys.exit(7)\n"
    pick_with_code(client, api, "팀0", files["팀0"], bundle(files["팀0"]))
    pick_with_code(client, api, "팀1", files["팀1"], bundle(differing(contest, files["팀1"], 0.01)))
    pick_with_code(client, api, "팀2", files["팀2"], bundle(files["팀2"], crash))
    # A participant may not start it; the organizer verifies the top 3 once the event ended.
    move_event(end_at=utcnow() - timedelta(minutes=1))
    refused = client.post(
        f"/api/v1/events/{contest.event}/verifications",
        headers=bearer(api.token("팀0")),
        json={"top": 3},
    )
    assert refused.status_code == 403
    started = client.post(
        f"/api/v1/events/{contest.event}/verifications",
        headers=bearer(api.staff_token()),
        json={"top": 3},
    )
    assert started.status_code == 202, started.json
    api.settle()
    rows = client.get(
        f"/api/v1/events/{contest.event}/verifications", headers=bearer(api.staff_token("judge"))
    ).json["verifications"]
    verdicts = {r["team"]: r for r in rows}
    assert verdicts["팀0"]["status"] == "reproduced"
    assert verdicts["팀0"]["reproduced_score"] == verdicts["팀0"]["picked_score"]
    assert verdicts["팀0"]["rows_differing"] == 0 and verdicts["팀0"]["max_difference"] == 0
    assert verdicts["팀1"]["status"] == "differs"
    assert verdicts["팀1"]["rows_differing"] == 2 and verdicts["팀1"]["rows"] == 200
    assert verdicts["팀1"]["max_difference"] > 0.01
    assert verdicts["팀1"]["reproduced_score"] != verdicts["팀1"]["picked_score"]
    assert verdicts["팀2"]["status"] == "failed"
    assert "종료 코드 7" in verdicts["팀2"]["message"]  # in the reader's language: Korean first

    # The judge's review page of the differing team says so; the organizer's has the button.
    team1 = verdicts["팀1"]["team_id"]
    api.sign_in("organizer@test.kr")
    page = client.get(f"/events/{contest.event}/review/teams/{team1}?lang=ko").get_data(
        as_text=True
    )
    assert "코드 검증" in page and "불일치" in page and 'class="disqualify danger"' in page
    reason = "코드 검증: 불일치 (2/200행)"
    dq = client.post(
        f"/api/v1/events/{contest.event}/teams/{team1}/disqualify",
        headers=bearer(api.staff_token()),
        json={"reason": reason},
    )
    assert dq.status_code == 200 and dq.json["disqualified"]

    # The export's sheet and the audit log carry every verdict.
    export = client.get(
        f"/api/v1/events/{contest.event}/export.xlsx", headers=bearer(api.staff_token())
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export.data))["code_verification"]
    exported = {row[1]: row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert exported == {"팀0": "reproduced", "팀1": "differs", "팀2": "failed"}
    log = client.get(
        f"/api/v1/events/{contest.event}/audit", headers=bearer(api.staff_token())
    ).json
    actions = [e["action"] for e in log["entries"]]
    assert actions.count("verification.verdict") == 3 and "verification.start" in actions


def test_code_attaches_to_a_final_pick_only_and_until_its_deadline(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    token = api.token("팀0")
    sub = api.finished(api.submit("팀0", prediction_csv(contest.truth, 0.2, 1)), token=token)
    path = f"/api/v1/submissions/{sub['id']}/code"

    def attach(name: str = "main.py", body: bytes = b"print(1)\n", who: str = token) -> dict:
        reply = client.post(
            path,
            headers=bearer(who),
            data={"file": (io.BytesIO(body), name)},
            content_type="multipart/form-data",
        )
        return {"status": reply.status_code, **(reply.json or {})}

    assert attach()["error"]["code"] == "not_a_pick"
    client.post(f"/api/v1/submissions/{sub['id']}/final", headers=bearer(token))
    assert attach("model.exe", b"MZ")["status"] == 422
    assert attach(who=api.token("팀1"))["status"] == 404  # another team's pick is not theirs
    assert attach()["status"] == 201
    with db.begin() as session:  # a task whose files may weigh 2 kB: code counts the same
        session.scalars(select(Task)).one().max_file_mb = 0.002
    too_big = attach(body=b"#" * 200_000)
    assert too_big["status"] == 413 and too_big["error"]["code"] == "too_large"
    # From the team page (its cookie), refused while it streams in: before the CSRF check
    # reads the form (which would otherwise spool it all and answer 400 for the missing token).
    api.sign_in("p0@test.kr")
    streamed = client.post(
        path,
        data={"file": (io.BytesIO(b"#" * 200_000), "main.py")},
        content_type="multipart/form-data",
    )
    assert streamed.status_code == 413, streamed.json
    shown = client.get(f"/api/v1/submissions/{sub['id']}", headers=bearer(token)).json
    assert shown["code"]["filename"] == "main.py" and "verdict" not in shown["code"]
    move_event(end_at=utcnow() - timedelta(hours=25))  # past the default end + 24 h
    assert attach()["error"]["code"] == "code_closed"

"""Setting an event up through the API, as the organizer console does: event, truth
preview, task, freeze, team import with credentials, hide."""

from __future__ import annotations

import csv
import io

import pandas as pd
from flask import Flask
from flask.testing import FlaskClient

from tests.actions import bearer
from tests.helpers import Contest, truth_frame


def test_event_task_freeze_teams(app: Flask, client: FlaskClient, contest: Contest) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    participant = bearer(contest.tokens["팀0"])
    made = client.post(
        "/api/v1/events",
        headers=organizer,
        json={
            "slug": "camp",
            "title": "캠프",
            "start": "2026-12-05T10:00",
            "end": "2026-12-06T18:00",
        },
    )
    assert made.status_code == 201 and made.json["start_at"] == "2026-12-05T01:00:00Z"  # KST
    assert client.post("/api/v1/events", headers=participant, json={}).status_code == 403
    wrong = client.post(
        "/api/v1/events?lang=en",
        headers=organizer,
        json={
            "slug": "x",
            "title": "x",
            "start": "2026-12-06T10:00",
            "end": "2026-12-05T10:00",
        },
    )
    assert wrong.status_code == 400 and "end must come after" in wrong.json["error"]["message"]
    edited = client.patch(
        "/api/v1/events/camp", headers=organizer, json={"freeze": "2026-12-06T17:00"}
    )
    assert edited.json["freeze_at"] == "2026-12-06T08:00:00Z"

    truth = truth_frame(100, seed=3).to_csv(index=False).encode("cp949")
    preview = client.post(
        "/api/v1/events/camp/tasks/preview",
        headers=organizer,
        data={
            "truth": (io.BytesIO(truth), "정답.csv"),
            "metric": "roc_auc",
        },
    )
    assert preview.status_code == 200, preview.json
    p = preview.json
    assert (p["columns"], p["id_column"], p["target"], p["rows"]) == (
        ["id", "target"],
        "id",
        "target",
        100,
    )
    assert p["classes"] == ["0", "1"] and p["public_rows"] + p["private_rows"] == 100
    assert p["sample_submission"][0] == "id,target" and len(p["first_rows"]) == 5
    bad = client.post(
        "/api/v1/events/camp/tasks/preview",
        headers=organizer,
        data={
            "truth": (io.BytesIO(truth), "t.csv"),
            "metric": "roc_auc",
            "target": "nope",
        },
    )
    assert bad.status_code == 422 and bad.json["problem"]
    task = client.post(
        "/api/v1/events/camp/tasks",
        headers=organizer,
        data={
            "truth": (io.BytesIO(truth), "t.csv"),
            "slug": "churn",
            "metric": "roc_auc",
            "daily_limit": "10",
        },
    )
    assert task.status_code == 201 and task.json["rows"] == 100

    frozen = client.post(f"/api/v1/events/{contest.event}/freeze", headers=organizer)
    assert frozen.json["freeze_at"] is not None
    assert client.get(f"/api/v1/events/{contest.event}/leaderboard").json["frozen"] is True
    client.post(f"/api/v1/events/{contest.event}/unfreeze", headers=organizer)
    assert client.get(f"/api/v1/events/{contest.event}/leaderboard").json["frozen"] is False

    roster = pd.DataFrame(
        [
            ["알파", "서울", "김하나", "a@x.kr"],
            ["알파", "서울", "이둘", "b@x.kr"],
            ["베타", "부산", "박셋", "c@x.kr"],
        ],
        columns=["team", "affiliation", "name", "email"],
    )
    buffer = io.BytesIO()
    roster.to_excel(buffer, index=False)
    buffer.seek(0)
    imported = client.post(
        "/api/v1/events/camp/teams/import", headers=organizer, data={"file": (buffer, "팀.xlsx")}
    )
    assert imported.status_code == 200 and imported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(imported.data.decode("utf-8-sig"))))
    assert [r["team"] for r in rows] == ["알파", "알파", "베타"] and all(
        r["password"] for r in rows
    )
    assert rows[0]["invite_code"] == rows[1]["invite_code"] != rows[2]["invite_code"]
    missing = client.post(
        "/api/v1/events/camp/teams/import?lang=en",
        headers=organizer,
        data={"file": (io.BytesIO("team,name\n알파,김\n".encode()), "r.csv")},
    )
    assert missing.status_code == 422 and "missing column" in missing.json["error"]["message"]

    staff = client.get(
        f"/api/v1/events/{contest.event}/leaderboard?board=staff", headers=organizer
    ).json
    assert staff["rows"] == []  # nobody scored: hide a team by id instead
    hidden = client.post(f"/api/v1/events/{contest.event}/teams/1/hide", headers=organizer)
    assert hidden.json == {"team": "팀0", "hidden": True}
    actions = {
        e["action"]
        for e in client.get("/api/v1/events/camp/audit", headers=organizer).json["entries"]
    }
    assert {"event.create", "event.edit", "task.create", "teams.import"} <= actions


def test_organizers_add_staff(client: FlaskClient, contest: Contest) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    made = client.post(
        "/api/v1/users",
        headers=organizer,
        json={"email": "Judge2@X.kr", "role": "judge", "affiliation": "서울"},
    )
    assert made.status_code == 201 and made.json["email"] == "judge2@x.kr" and made.json["password"]
    again = client.post(
        "/api/v1/users", headers=organizer, json={"email": "judge2@x.kr", "role": "judge"}
    )
    assert again.status_code == 409
    sneaky = client.post(
        "/api/v1/users", headers=organizer, json={"email": "p@x.kr", "role": "participant"}
    )
    assert sneaky.status_code == 400
    judge = bearer(contest.staff_tokens["judge"])
    assert (
        client.post(
            "/api/v1/users", headers=judge, json={"email": "z@x.kr", "role": "judge"}
        ).status_code
        == 403
    )
    from sqlalchemy import select

    from app.extensions import db
    from core.models import User
    from organize.accounts import password_ok

    with db.begin() as session:
        account = session.scalars(select(User).where(User.email == "judge2@x.kr")).one()
        assert account.role == "judge" and account.affiliation == "서울"
        assert password_ok(account, made.json["password"])  # stored hashed, the shown one works


def test_setup_refusal_in_korean_by_default_and_english_on_request(
    client: FlaskClient, contest: Contest
) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    backwards = {"slug": "x", "title": "x", "start": "2026-12-06T10:00", "end": "2026-12-05T10:00"}
    korean = client.post("/api/v1/events", headers=organizer, json=backwards)
    assert korean.status_code == 400
    assert korean.json["error"]["message"] == "종료 시각은 시작 시각보다 뒤여야 합니다."
    english = client.post("/api/v1/events?lang=en", headers=organizer, json=backwards)
    assert english.status_code == 400
    assert english.json["error"]["message"] == "The end must come after the start."


def test_prize_zone_set_by_organizers_shown_on_the_board(
    client: FlaskClient, contest: Contest
) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    path = f"/api/v1/events/{contest.event}"
    assert "상위 3위" in client.get(f"/events/{contest.event}").get_data(as_text=True)  # default
    edited = client.patch(path, headers=organizer, json={"prize_places": 5})
    assert edited.status_code == 200 and edited.json["prize_places"] == 5
    page = client.get(f"/events/{contest.event}").get_data(as_text=True)
    assert "상위 5위" in page and '"HJ_PRIZE": 5' in page
    for wrong in (-1, 101, "3", 2.5, True):
        refused = client.patch(path, headers=organizer, json={"prize_places": wrong})
        assert refused.status_code == 400, wrong
    participant = bearer(contest.tokens["팀0"])
    assert client.patch(path, headers=participant, json={"prize_places": 0}).status_code == 403
    assert client.patch(path, headers=organizer, json={"prize_places": 0}).json["prize_places"] == 0
    assert "상위 0위" not in client.get(f"/events/{contest.event}").get_data(as_text=True)

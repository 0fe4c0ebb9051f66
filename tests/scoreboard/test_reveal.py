"""The reveal through the REST API, on SQLite and PostgreSQL: who may drive it, what each
step shows, and the private board opening to everyone at the end."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from core.db import utcnow
from core.models import Team
from tests.actions import Api, bearer
from tests.helpers import Contest, move_event


def test_reveal_round(app: Flask, client: FlaskClient, contest: Contest, api: Api) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    participant = bearer(contest.tokens["팀0"])
    url = f"/api/v1/events/{contest.event}/reveal"
    board_url = f"/api/v1/events/{contest.event}/leaderboard?board=private"
    api.entry("팀0", 3.0)
    api.entry("팀1", 0.3)
    move_event(freeze_at=utcnow())
    api.entry("팀2", 0.2)  # after the freeze: unranked until revealed

    refused = client.post(f"{url}?lang=en", headers=organizer, json={})
    assert (
        refused.status_code == 409 and "after the event's end" in refused.json["error"]["message"]
    )
    move_event(end_at=utcnow() - timedelta(seconds=1))
    private_before = client.get(board_url, headers=organizer).json
    frozen = client.get(f"/api/v1/events/{contest.event}/leaderboard").json
    assert frozen["frozen"] is True and [r["team"] for r in frozen["rows"]] == ["팀1", "팀0"]

    # Nobody but organizers drives it; nobody but staff sees the private board before.
    assert client.post(url, headers=participant, json={}).status_code == 403
    assert (
        client.post(url, headers=bearer(contest.staff_tokens["judge"]), json={}).status_code == 403
    )
    assert client.post(url, json={}).status_code == 401
    assert client.get(board_url).status_code == 401
    assert client.get(board_url, headers=participant).status_code == 403
    assert client.get(url).json == {
        "event": contest.event,
        "task": contest.task,
        "started": False,
        "finished": False,
    }

    start = client.post(url, headers=organizer, json={}).json
    assert (start["step"], start["team"], start["total"]) == (0, None, 3)
    frozen_scores = {r["team"]: r["score"] for r in frozen["rows"]}
    assert [(r["team"], r["score"]) for r in start["standings"]] == [
        ("팀1", frozen_scores["팀1"]),
        ("팀0", frozen_scores["팀0"]),
        ("팀2", None),  # no private score anywhere before its turn
    ]
    assert client.get(url).json == start  # a projector joining late sees the same
    # The plan is fixed: the teams cannot change until the reveal ends.
    with db.begin() as session:
        team2 = session.scalars(select(Team).where(Team.name == "팀2")).one().id
    ban = f"/api/v1/events/{contest.event}/teams/{team2}/disqualify"
    refused = client.post(ban, headers=organizer, json={"reason": "late"})
    assert refused.status_code == 409 and "공개가 진행 중" in refused.json["error"]["message"]

    previous = start
    for step in range(1, 4):
        message = client.post(url, headers=organizer, json={}).json
        lowest_hidden = [r["team"] for r in previous["standings"] if not r["revealed"]][-1]
        assert (message["step"], message["team"]) == (step, lowest_hidden)
        private_row = next(r for r in private_before["rows"] if r["team"] == message["team"])
        assert message["private_score"] == private_row["score"]
        assert message["finished"] is (step == 3)
        if step < 3:  # still frozen and private until the last team
            assert client.get(board_url, headers=participant).status_code == 403
        previous = message

    final = [(r["rank"], r["team"], r["score"]) for r in previous["standings"]]
    assert final == [(r["rank"], r["team"], r["score"]) for r in private_before["rows"]]
    opened = client.get(board_url).json  # anonymous, after the reveal
    assert [(r["rank"], r["team"], r["score"]) for r in opened["rows"]] == final
    public = client.get(f"/api/v1/events/{contest.event}/leaderboard").json
    assert public["frozen"] is False and {r["team"] for r in public["rows"]} == {
        "팀0",
        "팀1",
        "팀2",
    }
    again = client.post(f"{url}?lang=en", headers=organizer, json={})
    assert again.status_code == 409 and "Every task" in again.json["error"]["message"]
    again = client.post(f"{url}?lang=en", headers=organizer, json={"task": contest.task})
    assert again.status_code == 409 and "is over" in again.json["error"]["message"]
    assert client.post(ban, headers=organizer, json={"reason": "late"}).status_code == 200
    audit = client.get(f"/api/v1/events/{contest.event}/audit", headers=organizer).json
    steps = [e["after"]["step"] for e in audit["entries"] if e["action"] == "reveal.step"]
    assert sorted(steps) == [0, 1, 2, 3]


def test_reveal_all_at_once_and_unknown_task(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    organizer = bearer(contest.staff_tokens["organizer"])
    url = f"/api/v1/events/{contest.event}/reveal"
    api.entry("팀0", 0.4)
    move_event(end_at=utcnow() - timedelta(seconds=1))
    assert client.post(url, headers=organizer, json={"task": "nope"}).status_code == 404
    done = client.post(url, headers=organizer, json={"task": contest.task, "all": True}).json
    assert done["finished"] is True and done["step"] == done["total"] == 1
    assert (
        client.get(f"/api/v1/events/{contest.event}/leaderboard?board=private").status_code == 200
    )


def test_announcements(app: Flask, client: FlaskClient, contest: Contest) -> None:
    url = f"/api/v1/events/{contest.event}/announcements"
    organizer = bearer(contest.staff_tokens["organizer"])
    assert (
        client.post(url, headers=bearer(contest.tokens["팀0"]), json={"message": "x"}).status_code
        == 403
    )
    empty = client.post(url, headers=organizer, json={"message": "   "})
    assert empty.status_code == 400 and empty.json["error"]["code"] == "bad_announcement"
    first = client.post(url, headers=organizer, json={"message": "점심  식사는\n12시입니다"})
    assert first.status_code == 201 and first.json["message"] == "점심 식사는 12시입니다"
    client.post(url, headers=organizer, json={"message": "마감 1시간 전"})
    listed = client.get(url).json["announcements"]
    assert [a["message"] for a in listed] == ["마감 1시간 전", "점심 식사는 12시입니다"]


def test_history_follows_the_freeze(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    api.entry("팀0", 3.0)
    api.entry("팀0", 0.2)
    api.entry("팀0", 3.5)  # worse: no new point
    move_event(freeze_at=utcnow())
    api.entry("팀1", 0.1)
    history = client.get(f"/api/v1/events/{contest.event}/history").json
    assert history["frozen"] is True
    assert [s["team"] for s in history["series"]] == ["팀0"]
    points = history["series"][0]["points"]
    assert len(points) == 2 and points[1][1] > points[0][1]  # roc_auc improved once
    board = client.get(f"/api/v1/events/{contest.event}/leaderboard").json
    assert points[-1][1] == board["rows"][0]["score"]


def test_reveal_and_announce_from_the_cli(
    app: Flask,
    client: FlaskClient,
    settings,
    contest: Contest,
    monkeypatch,
    api: Api,  # noqa: ANN001
) -> None:
    from click.testing import CliRunner

    from app.cli import main

    api.entry("팀0", 0.9)
    api.entry("팀1", 0.3)
    monkeypatch.setenv("HACKJUDGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HACKJUDGE_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.delenv("HACKJUDGE_REDIS_URL", raising=False)
    runner = CliRunner()
    early = runner.invoke(main, ["reveal", contest.event])
    assert early.exit_code == 1 and "after the event's end" in early.output
    move_event(end_at=utcnow() - timedelta(seconds=1))
    public = client.get(f"/api/v1/events/{contest.event}/leaderboard").json["rows"]

    started = runner.invoke(main, ["reveal", contest.event])
    assert started.exit_code == 0 and "step 0/2" in started.output
    first = runner.invoke(main, ["reveal", contest.event])
    assert first.exit_code == 0, first.output
    assert f"step 1/2: {public[-1]['team']} 2 → " in first.output  # bottom-up
    rest = runner.invoke(main, ["reveal", contest.event, "--all"])
    assert rest.exit_code == 0 and "the private board is public" in rest.output
    assert (
        client.get(f"/api/v1/events/{contest.event}/leaderboard?board=private").status_code == 200
    )

    said = runner.invoke(main, ["announce", contest.event, "수고하셨습니다"])
    assert said.exit_code == 0, said.output
    listed = client.get(f"/api/v1/events/{contest.event}/announcements").json["announcements"]
    assert listed[0]["message"] == "수고하셨습니다"


def test_presses_at_once_reveal_distinct_teams(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    organizer = bearer(contest.staff_tokens["organizer"])
    url = f"/api/v1/events/{contest.event}/reveal"
    for team, noise in (("팀0", 0.9), ("팀1", 0.5), ("팀2", 0.2)):
        api.entry(team, noise)
    move_event(end_at=utcnow() - timedelta(seconds=1))
    assert client.post(url, headers=organizer, json={}).json["step"] == 0

    def press(_: int) -> dict:
        reply = app.test_client().post(url, headers=organizer, json={})
        return {"status": reply.status_code, **(reply.json or {})}

    with ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(press, range(3)))
    assert [r["status"] for r in replies] == [200, 200, 200], replies
    state = client.get(url).json
    assert state["step"] == 3 and state["finished"] is True
    # Every team revealed exactly once, whatever order the presses landed in.
    assert all(r["revealed"] for r in state["standings"])
    assert sorted(r["step"] for r in replies) == [1, 2, 3]


def test_reveal_waits_for_pending_scores(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    from core.models import Status, Submission

    api.entry("팀0", 0.5)
    with db.begin() as session:  # a submission from just before the end, still in the queue
        session.scalars(select(Submission)).one().status = Status.QUEUED
    move_event(end_at=utcnow())
    refused = client.post(
        f"/api/v1/events/{contest.event}/reveal?lang=en",
        headers=bearer(contest.staff_tokens["organizer"]),
        json={},
    )
    assert refused.status_code == 409 and "still being scored" in refused.json["error"]["message"]


def test_refusals_are_korean_by_default(app: Flask, client: FlaskClient, contest: Contest) -> None:
    """A refusal comes in Korean unless the reader asks for English."""
    organizer = bearer(contest.staff_tokens["organizer"])
    url = f"/api/v1/events/{contest.event}/reveal"
    early = client.post(url, headers=organizer, json={})
    assert early.status_code == 409
    assert early.json["error"]["message"] == "발표는 대회가 끝난 뒤에 시작할 수 있습니다."
    english = client.post(url, headers={**organizer, "Accept-Language": "en"}, json={})
    assert english.json["error"]["message"] == "The reveal starts after the event's end."
    too_long = client.post(
        f"/api/v1/events/{contest.event}/announcements",
        headers=organizer,
        json={"message": "가" * 501},
    )
    assert too_long.status_code == 400
    assert too_long.json["error"]["message"] == "공지는 최대 500자까지 쓸 수 있습니다."

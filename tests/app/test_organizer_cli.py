"""The organizer's command line as organizers use it: set-up checks the server enforces, the
scheduled freeze that ``unfreeze`` must not delete, qwk's declared rating scale, and an audit
entry for every change, naming who made it."""

from __future__ import annotations

import getpass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import requests
from sqlalchemy import select

from core.db import Database, utcnow
from core.models import Event
from tests.actions import Api
from tests.helpers import (
    Proc,
    cli,
    end_event_now,
    event_row,
    run_cli,
    seed_env,
    server_in,
)


def refused(env: dict[str, str], *args: str) -> str:
    """A command that must fail with one clear line: that line."""
    done = run_cli(env, *args)
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def kst(moment) -> str:  # noqa: ANN001
    """A moment as an organizer types it: local time in Seoul, no offset."""
    return moment.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%dT%H:%M:%S")


def test_set_up_input_is_checked_by_the_server(
    embedded_env: dict[str, str], tmp_path: Path
) -> None:
    now = utcnow()
    times = ["--start", kst(now - timedelta(hours=1)), "--end", kst(now + timedelta(hours=3))]
    for slug in ("Wine_2", "camp 26", "camp-", "camp--26", "캠프"):
        line = refused(embedded_env, "event", "create", slug, "--title", "x", *times)
        assert "lower-case letters, digits and single hyphens" in line, line
    assert "created event camp26" in cli(embedded_env, "event", "create", "camp26",
                                         "--title", "캠프", *times)  # fmt: skip

    truth = tmp_path / "truth.csv"
    frame = pd.DataFrame({"id": range(50), "target": np.arange(50) % 7 + 0.5})
    frame.to_csv(truth, index=False)
    task = ["task", "create", "camp26"]
    line = refused(embedded_env, *task, "Churn_1", "--metric", "rmse", "--truth", str(truth))
    assert "lower-case letters" in line
    # No private rows: the final ranking would have nothing to stand on.
    line = refused(embedded_env, *task, "all-public", "--metric", "rmse", "--truth", str(truth),
                   "--public-fraction", "1")  # fmt: skip
    assert "greater than 0 and less than 1" in line, line
    frame.assign(Usage="Public").to_csv(truth, index=False)
    line = refused(embedded_env, *task, "usage", "--metric", "rmse", "--truth", str(truth),
                   "--usage-column", "Usage")  # fmt: skip
    assert "marks no row Private" in line, line
    # One public row: r2 gives no number on it, so every submission would fail.
    usage = np.where(np.arange(50) == 0, "Public", "Private")
    frame.assign(Usage=usage).to_csv(truth, index=False)
    line = refused(embedded_env, *task, "r2", "--metric", "r2", "--truth", str(truth),
                   "--usage-column", "Usage")  # fmt: skip
    assert "r2 gives no number on the public part" in line, line

    for email in ("x", "x@", "x@y", "a b@c.kr"):
        line = refused(embedded_env, "user", "create", email, "--role", "judge")
        assert "is not an e-mail address" in line, line
    assert "created judge" in cli(embedded_env, "user", "create", "j@x.kr", "--role", "judge")


def test_unfreeze_comes_back_to_the_scheduled_freeze(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path, freeze_offset=timedelta(hours=1))
    camp = contest.event
    scheduled = event_row(embedded_env, camp).freeze_scheduled_at
    assert scheduled is not None and scheduled > utcnow()
    server = server_in(embedded_env, spawned, tmp_path, "web")
    board = f"{server.url}/api/v1/events/{camp}/leaderboard"

    said = cli(embedded_env, "freeze", camp)
    assert "frozen since" in said and "KST" in said, said  # the event's time zone
    assert event_row(embedded_env, camp).freeze_at <= utcnow()
    assert requests.get(board, timeout=10).json()["frozen"] is True
    said = cli(embedded_env, "unfreeze", camp)
    assert "the scheduled freeze at" in said and "KST" in said, said
    row = event_row(embedded_env, camp)
    assert row.freeze_at == row.freeze_scheduled_at
    assert not row.is_frozen(utcnow()) and row.is_frozen(scheduled)
    assert requests.get(board, timeout=10).json()["frozen"] is False

    # Past the scheduled moment, lifting the freeze lifts it for good (the organizer said so).
    database = Database()
    database.configure(embedded_env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            event = session.scalars(select(Event).where(Event.slug == camp)).one()
            event.freeze_scheduled_at = event.freeze_at = utcnow() - timedelta(minutes=1)
    finally:
        assert database.engine is not None
        database.engine.dispose()
    assert cli(embedded_env, "unfreeze", camp).strip() == f"{camp} unfrozen"
    row = event_row(embedded_env, camp)
    assert row.freeze_at is None and row.freeze_scheduled_at is not None


def test_qwk_on_a_declared_scale_with_a_gap(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    rng = np.random.default_rng(4)
    ratings = rng.choice([1, 2, 3, 5], 200)  # no 4 in the hidden set
    truth = tmp_path / "ratings.csv"
    pd.DataFrame({"id": [f"q{i:03d}" for i in range(200)], "target": ratings}).to_csv(
        truth, index=False
    )
    said = cli(embedded_env, "task", "create", contest.event, "essay", "--metric", "qwk",
               "--truth", str(truth), "--rating-range", "1..5")  # fmt: skip
    assert "ratings 1..5" in said and "from the truth" not in said, said
    server = server_in(embedded_env, spawned, tmp_path, "web")
    rules = requests.get(f"{server.url}/events/{contest.event}/rules", timeout=10).text
    assert "1" in rules and ("평점" in rules or "ratings" in rules)

    api = Api(server, contest)
    team = {"token": contest.tokens["팀0"], "lang": "en", "task": "essay"}

    def upload(values: np.ndarray) -> dict:
        body = pd.DataFrame({"id": [f"q{i:03d}" for i in range(200)], "target": values})
        sub_id = api.submit(None, body.to_csv(index=False).encode(), "r.csv", **team)
        return api.finished(sub_id, token=contest.tokens["팀0"], lang="en")

    fours = ratings.copy()
    fours[ratings == 5] = 4  # a rating the hidden set lacks, inside the scale
    scored = upload(fours)
    assert scored["status"] == "scored", scored
    assert 0 < scored["public_score"] < 1
    six = ratings.copy()
    six[7] = 6
    refused_ = upload(six)
    assert refused_["status"] == "invalid"
    assert "not a whole-number rating from 1 to 5" in refused_["error"], refused_["error"]


def test_cli_changes_are_audit_logged_with_who_made_them(
    embedded_env: dict[str, str], tmp_path: Path
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    env = {**embedded_env, "HACKJUDGE_AS": ""}
    me = f"cli:{getpass.getuser()}"
    now = utcnow()
    truth = tmp_path / "truth.csv"
    pd.DataFrame({"id": range(60), "target": np.arange(60) % 5 + 0.5}).to_csv(truth, index=False)
    roster = tmp_path / "teams.csv"
    roster.write_text("team,affiliation,name,email\n감마,대구,최넷,d@x.kr\n", encoding="utf-8")
    event = contest.event
    cli(env, "task", "create", event, "extra", "--metric", "rmse", "--truth", str(truth))
    cli(env, "task", "update", event, "extra", "--metric", "mae")
    cli(env, "team", "import", event, str(roster), "--out", str(tmp_path / "cred.csv"))
    cli(env, "freeze", event, "--as", "organizer@test.kr")
    cli(env, "unfreeze", event)
    cli(env, "rescore", event, "extra")
    cli(env, "announce", event, "곧 마감합니다")
    end_event_now(env)
    cli(env, "reveal", event, "--task", contest.task)
    cli(env, "event", "create", "other", "--title", "다른 대회", "--start",
        kst(now - timedelta(hours=1)), "--end", kst(now + timedelta(hours=1)))  # fmt: skip
    line = refused(env, "freeze", event, "--as", "judge@test.kr")
    assert "no organizer account" in line

    from core.audit import audit_log

    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            target = session.scalars(select(Event).where(Event.slug == event)).one()
            entries = {(e["action"], e["actor"]) for e in audit_log(session, target)}
            other = session.scalars(select(Event).where(Event.slug == "other")).one()
            created = [(e["action"], e["actor"]) for e in audit_log(session, other)]
    finally:
        assert database.engine is not None
        database.engine.dispose()
    assert created == [("event.create", me)]
    expected = {
        ("task.create", me),
        ("task.update", me),
        ("teams.import", me),
        ("event.freeze", "organizer@test.kr"),
        ("event.unfreeze", me),
        ("task.rescore", me),
        ("announce", me),
        ("reveal.step", me),
    }
    assert expected <= entries, sorted(expected - entries)


@pytest.mark.parametrize("value", ["1..5", "1-5", " 1 .. 5 ", "0~10", "-2..2"])
def test_rating_ranges_as_organizers_write_them(value: str) -> None:
    from judge.prepare import parse_rating_range

    low, high = parse_rating_range(value)
    assert low < high and f"{low}" in value and f"{high}" in value

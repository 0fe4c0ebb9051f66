"""Upload intake through the REST API on both backends: SPEC §9 codes, nothing left behind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from config import Settings
from core.models import Submission, Team
from tests.actions import Api, bearer
from tests.helpers import Contest, prediction_csv, seed_contest, settle, wait_for


def snapshot(settings: Settings) -> tuple[list[tuple], list[str]]:
    """Every submission row and every stored upload file."""
    with db.begin() as session:
        rows = [
            (s.id, s.status, s.public_score, s.error)
            for s in session.scalars(select(Submission).order_by(Submission.id))
        ]
    folder = settings.storage_dir / "submissions"
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
    return rows, files


def team0(contest: Contest) -> str:
    return contest.tokens["팀0"]


def test_upload_is_accepted_then_scored(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    # Noise enough that the public part never ranks perfectly: a perfect AUC's bootstrap
    # interval is the point 1.0 (with 0.4, about one random split in 80 did: CI failed once).
    body = prediction_csv(contest.truth, noise=0.8, seed=1)
    reply = api.upload("팀0", body, note="first try")
    assert reply.status_code == 202
    assert reply.json["status"] == "queued" and reply.json["note"] == "first try"
    settle(app)
    seen = client.get(
        f"/api/v1/submissions/{reply.json['id']}",
        headers=bearer(team0(contest)),
    ).json
    assert seen["status"] == "scored"
    assert 0.5 < seen["public_score"] <= 1.0
    low, high = seen["public_ci"]  # the bootstrap CI follows the score into the row
    assert low <= seen["public_score"] <= high and low < high
    assert "private_score" not in seen  # rule 6: never to a participant before the reveal
    staff = client.get(
        f"/api/v1/submissions/{reply.json['id']}",
        headers=bearer(contest.staff_tokens["judge"]),
    ).json
    assert staff["private_score"] is not None


def test_the_uploads_reply_is_its_row_as_the_database_keeps_it(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    # The reply is made from the values sent and the few the database returns (its id and
    # number, ``submissions.rows``): read back in a request of its own, the row says the same,
    # the name cut to its last part and the note to 2,000 characters as stored.
    body = prediction_csv(contest.truth, noise=0.8, seed=3)
    reply = api.upload("팀0", body, "../맑은 날/예측.csv", note="메모 " * 1200)
    assert reply.status_code == 202
    sent = reply.json
    assert sent["filename"] == "예측.csv" and len(sent["note"]) == 2000
    seen = client.get(f"/api/v1/submissions/{sent['id']}", headers=bearer(team0(contest))).json
    # A worker may be scoring it by now (PostgreSQL's tests run one): what scoring changes aside.
    scoring = ("status", "error", "public_score", "public_ci", "finished_at")
    kept = {key: value for key, value in seen.items() if key not in scoring}
    assert kept == {key: value for key, value in sent.items() if key not in scoring}
    assert len(kept) >= 9  # the id, its number, the names, the file's, the note, the time…


@pytest.mark.parametrize(
    ("body", "status", "code", "lang", "text"),
    [
        (b"", 422, "invalid_file", None, "파일이 비어 있습니다."),
        (b"", 422, "invalid_file", "en", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 422, "invalid_file", None, "바이너리 데이터"),
        (b"id,prediction\n000001,0.5\n", 422, "invalid_file", None, "'target' 열이 없습니다"),
        (b"id,prediction\n000001,0.5\n", 422, "invalid_file", "en", "Missing column 'target'"),
    ],
)
def test_bad_files_are_refused_at_once(
    client: FlaskClient,
    settings: Settings,
    contest: Contest,
    body: bytes,
    status: int,
    code: str,
    lang: str | None,
    text: str,
    api: Api,
) -> None:
    before = snapshot(settings)
    reply = api.upload("팀0", body, lang=lang)
    assert reply.status_code == status
    assert reply.json["error"]["code"] == code
    assert text in reply.json["error"]["message"]
    assert snapshot(settings) == before


def test_wrong_or_missing_token(
    client: FlaskClient, settings: Settings, contest: Contest, api: Api
) -> None:
    before = snapshot(settings)
    body = prediction_csv(contest.truth, 0.3, 1)
    for token in ("hj_not-a-real-token", None):
        reply = api.upload(None, body, token=token)
        assert reply.status_code == 401
        assert reply.json["error"]["code"] == "unauthorized"
    assert snapshot(settings) == before


def test_participant_cannot_submit_for_another_team(
    client: FlaskClient, settings: Settings, contest: Contest, api: Api
) -> None:
    from core.models import Team

    with db.begin() as session:
        other = session.scalars(select(Team).where(Team.name == "팀1")).one().id
    before = snapshot(settings)
    reply = api.upload(
        "팀0",
        prediction_csv(contest.truth, 0.3, 1),
        team_id=str(other),
    )
    assert reply.status_code == 403
    assert reply.json["error"] == {
        "code": "other_team",
        "message": "자기 팀으로만 제출할 수 있습니다.",
    }
    assert snapshot(settings) == before


def test_staff_cannot_submit(
    client: FlaskClient, settings: Settings, contest: Contest, api: Api
) -> None:
    before = snapshot(settings)
    reply = api.upload(
        None,
        prediction_csv(contest.truth, 0.3, 1),
        token=contest.staff_tokens["organizer"],
    )
    assert reply.status_code == 403 and reply.json["error"]["code"] == "not_participant"
    assert snapshot(settings) == before


@pytest.fixture
def closed_contest(app: Flask, settings: Settings, tmp_path: Path) -> Contest:
    return seed_contest(
        db,
        settings.storage_dir,
        tmp_path,
        start_offset=timedelta(hours=-3),
        end_offset=timedelta(seconds=-1),
    )


def test_upload_after_the_deadline(
    client: FlaskClient, settings: Settings, closed_contest: Contest
) -> None:
    before = snapshot(settings)
    reply = Api(client, closed_contest).upload(
        "팀0",
        prediction_csv(closed_contest.truth, 0.3, 1),
    )
    assert reply.status_code == 409
    assert reply.json["error"] == {
        "code": "closed",
        "message": "제출 마감 시간이 지났습니다.",
    }
    assert snapshot(settings) == before


@pytest.fixture
def small_contest(app: Flask, settings: Settings, tmp_path: Path) -> Contest:
    return seed_contest(
        db, settings.storage_dir, tmp_path, max_file_mb=0.002, daily_limit=2, rows=50
    )


def test_file_over_the_size_limit(
    client: FlaskClient, settings: Settings, small_contest: Contest
) -> None:
    before = snapshot(settings)
    body = b"id,target\n" + b"000001,0.5\n" * 400  # 4.4 kB > 2 kB
    reply = Api(client, small_contest).upload("팀0", body)
    assert reply.status_code == 413
    assert reply.json["error"]["code"] == "too_large"
    assert reply.json["error"]["message"] == "파일이 제한 크기 0.002 MB보다 큽니다."
    assert snapshot(settings) == before


def test_missing_ids_become_an_invalid_submission_that_uses_no_quota(
    app: Flask, client: FlaskClient, settings: Settings, small_contest: Contest
) -> None:
    token = team0(small_contest)
    truth = small_contest.truth
    partial = prediction_csv(truth.iloc[5:], 0.3, 1)
    board_before = client.get(f"/api/v1/events/{small_contest.event}/leaderboard").json
    small = Api(client, small_contest)
    reply = small.upload("팀0", partial)
    assert reply.status_code == 202
    settle(app)
    url = f"/api/v1/submissions/{reply.json['id']}"
    seen = client.get(url, headers=bearer(token)).json
    assert seen["status"] == "invalid"
    # Scored in a worker, shown in the reader's language: Korean unless asked otherwise.
    assert seen["error"].startswith("빠진 id가 5개 있습니다(예: '000000'")
    english = client.get(url, headers=bearer(token, lang="en"))
    assert english.json["error"].startswith("5 ids are missing, e.g. '000000'")
    assert client.get(f"/api/v1/events/{small_contest.event}/leaderboard").json == board_before
    # Invalid uploads do not count: the daily limit of 2 still allows two good ones.
    for seed in (1, 2):
        assert small.upload("팀0", prediction_csv(truth, 0.3, seed)).status_code == 202
    settle(app)
    before = snapshot(settings)
    refused = small.upload("팀0", prediction_csv(truth, 0.3, 3))
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "daily_quota"
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    assert snapshot(settings) == before


def test_other_teams_submissions_are_invisible(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    reply = api.upload("팀0", prediction_csv(contest.truth, 0.3, 1))
    settle(app)
    other = client.get(
        f"/api/v1/submissions/{reply.json['id']}",
        headers=bearer(contest.tokens["팀1"]),
    )
    assert other.status_code == 404


def test_staff_boards_need_staff(client: FlaskClient, contest: Contest) -> None:
    url = f"/api/v1/events/{contest.event}/leaderboard?board=staff"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer(team0(contest))).status_code == 403
    staff = client.get(url, headers=bearer(contest.staff_tokens["judge"]))
    assert staff.status_code == 200 and staff.json["board"] == "staff"


def test_public_board_ranks_best_scores(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    noises = {"팀0": 3.0, "팀1": 0.05, "팀2": 0.5}  # wide gaps: the public split is random
    for i, (team, noise) in enumerate(noises.items()):
        assert api.upload(team, prediction_csv(contest.truth, noise, i)).status_code == 202
    settle(app)
    board = client.get(f"/api/v1/events/{contest.event}/leaderboard?task={contest.task}").json
    assert [row["team"] for row in board["rows"]] == ["팀1", "팀2", "팀0"]
    assert set(board["rows"][0]) == {"rank", "team", "score", "submissions", "last_submission_at"}
    assert board["version"] >= 1 and board["frozen"] is False


def test_sample_submission_download(client: FlaskClient, contest: Contest) -> None:
    reply = client.get(f"/api/v1/events/{contest.event}/tasks/{contest.task}/sample-submission")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    lines = reply.data.decode().splitlines()
    assert lines[0] == "id,target" and len(lines) == len(contest.truth) + 1


def test_database_counts_unchanged_by_refusals(client: FlaskClient, contest: Contest) -> None:
    with db.begin() as session:
        assert session.scalar(select(func.count(Submission.id))) == 0


@pytest.fixture
def strict_app(settings: Settings) -> Flask:
    from app import create_app

    settings.hourly_upload_limit = 3
    return create_app(settings, start_background=False)


def test_hourly_rate_limit_counts_refused_uploads_too(strict_app: Flask, tmp_path: Path) -> None:
    contest = seed_contest(db, strict_app.config["HACKJUDGE"].storage_dir, tmp_path)
    client = strict_app.test_client()
    api = Api(client, contest)
    answers = [api.upload("팀0", b"") for _ in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 422]
    # No X-RateLimit-* headers (they cost two Redis reads an upload); a refusal says when.
    assert not any(h.startswith("X-RateLimit") for a in answers for h, _ in a.headers)
    limited = api.upload("팀0", prediction_csv(contest.truth, 0.3, 1))
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Another team has its own allowance.
    other = api.upload("팀1", prediction_csv(contest.truth, 0.3, 1))
    assert other.status_code == 202
    settle(strict_app)


def test_browser_upload_is_capped_before_the_csrf_check_reads_it(
    client: FlaskClient, settings: Settings, small_contest: Contest
) -> None:
    import re

    Api(client, small_contest).sign_in("p0@test.kr")
    page = client.get(f"/events/{small_contest.event}/team").get_data(as_text=True)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    before = snapshot(settings)
    body = b"id,target\n" + b"000001,0.5\n" * 20_000  # 220 kB > the 2 kB task limit
    reply = client.post(
        f"/api/v1/events/{small_contest.event}/tasks/{small_contest.task}/submissions",
        headers={"X-CSRFToken": csrf},
        data={"file": (__import__("io").BytesIO(body), "p.csv")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 413 and reply.json["error"]["code"] == "too_large"
    assert snapshot(settings) == before
    # Without the CSRF token a signed-in browser may not upload at all.
    refused = client.post(
        f"/api/v1/events/{small_contest.event}/tasks/{small_contest.task}/submissions",
        data={"file": (__import__("io").BytesIO(b"id,target\n000001,0.5\n"), "p.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert snapshot(settings) == before


def test_login_never_redirects_off_site(client: FlaskClient, contest: Contest, api: Api) -> None:
    for target in ("//evil.example", "/\\evil.example", "https://evil.example"):
        reply = api.sign_in("p0@test.kr", query=f"?next={target}")
        assert reply.status_code == 302
        assert reply.headers["Location"] == "/"


def test_a_submission_that_keeps_killing_workers_is_given_up(
    app: Flask, client: FlaskClient, contest: Contest, api: Api
) -> None:
    reply = api.upload("팀0", prediction_csv(contest.truth, 0.3, 1))
    settle(app)
    with db.begin() as session:
        # The team's reply names it by its opaque id; workers go by the global one.
        sub = session.scalars(select(Submission).where(Submission.public_id == reply.json["id"]))
        sub = sub.one()
        sub.status, sub.attempts = "queued", 3  # three workers died on it already
        sub_id = sub.id
    app.extensions["hackjudge"].dispatcher.enqueue(sub_id)
    settle(app)
    with db.begin() as session:
        sub = session.get(Submission, sub_id)
        assert sub.status == "failed" and "gave up after 3 attempts" in sub.staff_error
    seen = client.get(
        f"/api/v1/submissions/{reply.json['id']}",
        headers=bearer(team0(contest)),
    ).json
    assert seen["status"] == "failed" and "staff_error" not in seen


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_an_upload_and_a_worker_recounting_its_team_never_deadlock(
    app: Flask, client: FlaskClient, contest: Contest, database_url: str
) -> None:
    """CI once met a deadlock between an upload (its team's lock held, the standing row wanted)
    and a worker recounting the previous file (the standing row held, the team wanted). The
    upload now takes no team lock on PostgreSQL: it waits for the worker's standing row, the
    worker gets the team's row at once, and the upload is accepted when the worker is done."""
    import threading

    import psycopg

    api = Api(client, contest, app)
    api.finished(api.submit("팀0", prediction_csv(contest.truth, 0.3, 1)))  # its standing row
    with db.begin() as session:
        team_id = session.scalars(select(Team.id).where(Team.name == "팀0")).one()
    plain_url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url) as worker:  # the other side of the cycle
        worker.execute("SET deadlock_timeout = '20s'")  # so the upload is the one PG fails
        worker.execute("SELECT 1 FROM standings WHERE team_id = %s FOR UPDATE", (team_id,))
        replies: list = []
        upload = threading.Thread(
            target=lambda: replies.append(api.upload("팀0", prediction_csv(contest.truth, 0.3, 2)))
        )
        upload.start()

        def upload_waits() -> bool:
            row = worker.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            ).fetchone()
            return bool(row and row[0])

        wait_for(upload_waits, 20, "the upload to wait for the standing row")
        worker.execute("SELECT 1 FROM teams WHERE id = %s FOR UPDATE", (team_id,))
        worker.rollback()
        upload.join(30)
    assert [r.status_code for r in replies] == [202], [r.get_data(as_text=True) for r in replies]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_an_uploads_job_and_board_mark_reach_redis_with_its_attempt_counted(
    settings: Settings, redis_url: str, tmp_path: Path
) -> None:
    """Production: after the 202, the job is queued, the board's mark set (one pipeline), and
    the attempt counted in the row's own statement; a refused upload counts nothing."""
    import dataclasses

    import redis as redis_lib
    from rq import Queue

    from app import create_app
    from core.models import Standing

    tag = f"pipe-{tmp_path.name}"
    settings = dataclasses.replace(
        settings, redis_url=redis_url, queue_name=tag, socketio_channel=tag
    )
    app = create_app(settings, start_background=False)
    contest = seed_contest(db, settings.storage_dir, tmp_path, daily_limit=1)
    api = Api(app.test_client(), contest, app)
    redis = redis_lib.Redis.from_url(redis_url)

    def script_checks() -> int:  # SCRIPT EXISTS: a round trip a pipeline's script costs first
        return int(redis.info("commandstats").get("cmdstat_script|exists", {}).get("calls", 0))

    checked = script_checks()
    reply = api.upload("팀0", prediction_csv(contest.truth, 0.3, 1))
    assert reply.status_code == 202, reply.get_data(as_text=True)
    assert script_checks() == checked  # the job and the mark went in one round trip
    with db.begin() as session:
        sub = session.scalars(select(Submission).where(Submission.public_id == reply.json["id"]))
        sub = sub.one()
        standing = session.scalars(select(Standing).where(Standing.team_id == sub.team_id)).one()
        assert (sub.number, standing.attempts, standing.last_at) == (1, 1, sub.created_at)
    assert Queue(tag, connection=redis).job_ids == [f"submission-{sub.id}"]
    marked = redis.get(f"hackjudge:{tag}:board-dirty:{sub.task_id}")  # the moment, in ms
    assert marked is not None and abs(int(marked) / 1000 - sub.created_at.timestamp()) < 60
    refused = api.upload("팀0", prediction_csv(contest.truth, 0.3, 2))
    assert refused.status_code == 429 and refused.json["error"]["code"] == "daily_quota"
    with db.begin() as session:
        assert session.scalar(select(func.count(Submission.id))) == 1
        assert session.scalars(select(Standing.attempts)).all() == [1]
    assert Queue(tag, connection=redis).job_ids == [f"submission-{sub.id}"]

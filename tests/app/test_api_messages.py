"""API error messages speak Korean by default; English with ``?lang=en`` or, for clients with a
token, ``Accept-Language: en``. The machine-readable codes never change."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.actions import bearer
from tests.helpers import Contest

ENGLISH = {"Accept-Language": "en"}
SIGN_IN_KO = "로그인하거나 'Authorization: Bearer <token>' 헤더를 보내세요."
SIGN_IN_EN = "Sign in, or send 'Authorization: Bearer <token>'."
TWICE = {"role": "judge", "email": "judge@test.kr"}  # the contest has this judge already


def test_unknown_submission_is_korean_by_default(client: FlaskClient, contest: Contest) -> None:
    reply = client.get("/api/v1/submissions/99999", headers=bearer(contest.tokens["팀0"]))
    assert reply.status_code == 404
    assert reply.json["error"] == {"code": "not_found", "message": "99999번 제출이 없습니다."}


def test_unknown_submission_in_english_for_a_token_asking(
    client: FlaskClient, contest: Contest
) -> None:
    headers = {**bearer(contest.tokens["팀0"]), **ENGLISH}
    reply = client.get("/api/v1/submissions/99999", headers=headers)
    assert reply.status_code == 404
    assert reply.json["error"] == {"code": "not_found", "message": "No submission 99999."}


def test_sign_in_needed_is_korean_by_default(client: FlaskClient, contest: Contest) -> None:
    reply = client.get("/api/v1/submissions/1")
    assert reply.status_code == 401
    assert reply.json["error"] == {"code": "unauthorized", "message": SIGN_IN_KO}
    # Without a token a browser's Accept-Language is ignored: the site is Korean until chosen.
    ignored = client.get("/api/v1/submissions/1", headers=ENGLISH)
    assert ignored.json["error"]["message"] == SIGN_IN_KO


def test_sign_in_needed_in_english_for_a_token_asking(
    client: FlaskClient, contest: Contest
) -> None:
    reply = client.get("/api/v1/submissions/1", headers={**bearer("hj_wrong"), **ENGLISH})
    assert reply.status_code == 401
    assert reply.json["error"] == {"code": "unauthorized", "message": SIGN_IN_EN}
    asked = client.get("/api/v1/submissions/1?lang=en")
    assert asked.json["error"] == {"code": "unauthorized", "message": SIGN_IN_EN}


def test_bare_status_gets_our_korean_message(client: FlaskClient, contest: Contest) -> None:
    reply = client.get("/api/v1/no-such-route")
    assert reply.status_code == 404
    assert reply.json["error"] == {"code": "not_found", "message": "찾을 수 없습니다."}


def test_bare_status_gets_our_english_message_not_werkzeugs(
    client: FlaskClient, contest: Contest
) -> None:
    reply = client.get("/api/v1/no-such-route?lang=en")
    assert reply.status_code == 404
    assert reply.json["error"] == {"code": "not_found", "message": "Not found."}
    wrong_method = client.delete("/api/v1/metrics?lang=en")
    assert wrong_method.status_code == 405
    assert wrong_method.json["error"] == {
        "code": "method_not_allowed",
        "message": "This method is not allowed here.",
    }


def test_messages_with_values_in_korean(client: FlaskClient, contest: Contest) -> None:
    missing = client.get("/api/v1/events/nope/leaderboard")
    assert missing.json["error"]["message"] == "대회 'nope'이(가) 없습니다."
    organizer = bearer(contest.staff_tokens["organizer"])
    twice = client.post("/api/v1/users", headers=organizer, json=TWICE)
    assert twice.status_code == 409 and twice.json["error"]["code"] == "exists"
    assert twice.json["error"]["message"] == "이메일이 judge@test.kr인 사용자가 이미 있습니다."


def test_messages_with_values_in_english(client: FlaskClient, contest: Contest) -> None:
    missing = client.get("/api/v1/events/nope/leaderboard?lang=en")
    assert missing.json["error"]["message"] == "No event 'nope'."
    organizer = {**bearer(contest.staff_tokens["organizer"]), **ENGLISH}
    twice = client.post("/api/v1/users", headers=organizer, json=TWICE)
    assert twice.status_code == 409 and twice.json["error"]["code"] == "exists"
    assert twice.json["error"]["message"] == "A user with e-mail judge@test.kr already exists."


def test_error_pages_speak_the_readers_language(client: FlaskClient) -> None:
    korean = client.get("/no-such-page")
    assert korean.status_code == 404
    page = korean.get_data(as_text=True)
    assert "찾을 수 없습니다" in page and "Not Found" not in page
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "Not found." in english

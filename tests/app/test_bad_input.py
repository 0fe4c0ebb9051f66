"""Bad input is a 4xx that says what is wrong, never a 500 nor a wrong value stored (issue 12,
item 20): ids past the database's integers, NUL and control characters in paths, queries,
forms and file names, malformed JSON, NaN, wrong types. Against a real server on PostgreSQL
(SQLite takes integers PostgreSQL refuses)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.openapi import OPENAPI
from tests.actions import Api, bearer, csrf_token
from tests.helpers import Contest, Proc, prediction_csv, seed_env, server_in

HUGE_IDS = ("2147483648", "9223372036854775808", "1" + "0" * 30)
BAD_SEGMENTS = ("%00", "a%00b", "%01", "%7F", "%0A")
MALFORMED_JSON = [
    b"{",
    b"[",
    b'{"a":',
    b"nul",
    b"\xff\xfe\x00",
    b'{"a": 1}x',
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"[]",
    b'"text"',
    b"123",
    b"null",
    b"true",
    b"1" * 5000,
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": -Infinity}',
    b'{"a": 1e999}',
    b'{"a": "\\u0000"}',
    b'{"\\u0000": 1}',
    b'{"a": "\\ud800"}',
    b'{"\\udfff": 1}',
    b'{"a": 1, "a": [1]}',
]


@pytest.fixture
def site(production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]) -> dict[str, Any]:
    """A production server on PostgreSQL with a seeded event, one scored-or-queued upload per
    team, and every id a path can name."""
    contest = seed_env(production_env, tmp_path)
    server = server_in(production_env, spawned, tmp_path, "web")
    organizer = bearer(contest.staff_tokens["organizer"])
    uploaded = _upload(server, contest, "팀0", "pred.csv")
    assert uploaded.status_code == 202, uploaded.text
    # Staff name a submission by its global id (a team by its public one).
    as_staff = requests.get(
        f"{server.url}/api/v1/submissions/{uploaded.json()['id']}", headers=organizer, timeout=10
    )
    return {
        "server": server,
        "contest": contest,
        "submission": as_staff.json()["id"],
        "organizer": organizer,
        "judge": bearer(contest.staff_tokens["judge"]),
        # Team 1 (팀0)'s member: only a team edits its project.
        "member": bearer(contest.tokens["팀0"]),
    }


def _upload(server: Proc, contest: Contest, team: str, name: str, **form: str) -> Any:
    """The same plausible file under ``name``."""
    return Api(server, contest).upload(team, prediction_csv(contest.truth, 0.5, 1), name, **form)


def _api_error(reply: requests.Response) -> dict[str, str]:
    """The API's error shape, or fail."""
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


def _json_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(path, METHOD, body schema) of every operation with a JSON body."""
    found = []
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((path, method.upper(), content["application/json"]["schema"]))
    return found


def _fill(site: dict[str, Any], path: str, **override: str) -> str:
    contest = site["contest"]
    values = {
        "event": contest.event,
        "task": contest.task,
        "team_id": "1",
        "file_id": "1",
        "award_id": "1",
        "id": str(site["submission"]),
        "action": "hide" if "team_id" in path else "freeze",
        "fmt": "csv",
        **override,
    }
    return site["server"].url + "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: values[m[1]], path)


def _headers_for(site: dict[str, Any], path: str, method: str) -> dict[str, str]:
    judging = ("/scores", "/comments", "/conflict", "/flags")
    if method != "GET" and path.endswith("/project"):
        return site["member"]
    return site["judge"] if method != "GET" and path.endswith(judging) else site["organizer"]


def _sample(schema: dict[str, Any]) -> Any:
    """A value the schema accepts, for the fields around the one a case breaks."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "string")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return {k: _sample(schema["properties"][k]) for k in schema.get("required", [])}
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    return {"boolean": True, "array": [], "null": None}.get(kind, "x")


def test_every_request_schema_is_real_and_checkable() -> None:
    """Each JSON body has a schema naming its fields (no bare ``{"type": "object"}``), every
    number in it is bounded, and it uses only what app.api.validate checks."""
    from app.api.validate import ANNOTATIONS, KEYWORDS, keywords_in

    operations = _json_operations()
    assert len(operations) >= 15
    for path, method, schema in operations:
        where = f"{method} {path}"
        assert schema.get("type") == "object" and "properties" in schema, where
        assert schema.get("additionalProperties") is False, where
        unknown = set(keywords_in(schema)) - KEYWORDS - ANNOTATIONS
        assert not unknown, f"{where}: {unknown}"
        for name, field in schema["properties"].items():
            kinds = field.get("type", [])
            if {"integer", "number"} & set([kinds] if isinstance(kinds, str) else kinds):
                assert "minimum" in field and "maximum" in field, f"{where}: {name}"


def test_ids_and_names_a_request_carries(site: dict[str, Any]) -> None:
    server, contest = site["server"], site["contest"]
    organizer = site["organizer"]
    # Ids past PostgreSQL's integer, in every documented path that takes one.
    checked = 0
    for path, operations in OPENAPI["paths"].items():
        for method in operations:
            ints = [p for p in ("id", "team_id", "file_id", "award_id") if "{" + p + "}" in path]
            for param in ints:
                for huge in HUGE_IDS:
                    url = _fill(site, path, **{param: huge})
                    reply = requests.request(
                        method, url, headers=_headers_for(site, path, method), json={}, timeout=10
                    )
                    assert reply.status_code == 404, (method, url, reply.status_code)
                    _api_error(reply)
                    checked += 1
            # NUL and control characters in every name a path takes.
            for param in ("event", "task"):
                if "{" + param + "}" not in path:
                    continue
                for bad in BAD_SEGMENTS:
                    url = _fill(site, path, **{param: bad})
                    reply = requests.request(method, url, headers=organizer, json={}, timeout=10)
                    assert reply.status_code == 404, (method, url, reply.status_code)
                    _api_error(reply)
                    checked += 1
    assert checked > 100
    anonymous = requests.get(f"{server.url}/api/v1/events/%00/leaderboard", timeout=10)
    assert anonymous.status_code == 404 and _api_error(anonymous)["code"] == "not_found"
    for page in ("/events/%00", "/events/%00/rules", "/events/a%01/projector"):
        assert requests.get(server.url + page, timeout=10).status_code == 404, page
    review_page = f"/events/{contest.event}/review/teams/{HUGE_IDS[0]}"
    assert requests.get(server.url + review_page, headers=organizer, timeout=10).status_code == 404

    # NUL in query strings and form fields is dropped before any view reads it.
    board = f"{server.url}/api/v1/events/{contest.event}/leaderboard"
    assert requests.get(board, params={"task": "t\x001"}, timeout=10).status_code in (200, 404)
    assert requests.get(board, params={"task": f"{contest.task}\x00"}, timeout=10).ok
    login = requests.Session()
    page = login.get(f"{server.url}/login", timeout=10).text
    token = csrf_token(page)  # the sign-in form carries one
    signed = login.post(
        f"{server.url}/login",
        data={"csrf_token": token, "email": "p0@test.kr\x00", "password": "x\x00"},
        timeout=10,
    )
    assert signed.status_code in (200, 400, 429), signed.status_code

    # File names: shown and stored without NUL, control or bidi characters or folders.
    for sent, kept in (
        ("pred\x00.csv", "pred.csv"),
        ("../../etc/\u202epred.csv", "pred.csv"),
        ("\x1b[31mpred\x07.csv", "[31mpred.csv"),
        ("가" * 300 + ".csv", None),
    ):
        reply = _upload(server, contest, "팀1", sent, note="메모\x00")
        assert reply.status_code == 202, (sent, reply.text)
        stored = requests.get(
            f"{server.url}/api/v1/submissions/{reply.json()['id']}", headers=organizer, timeout=10
        ).json()
        if kept is not None:
            assert stored["filename"] == kept, sent
        assert stored["filename"].endswith(".csv") and len(stored["filename"].encode()) <= 200
        assert stored["note"] == "메모"
    truth = b"id,target\n" + b"".join(f"{i},{i % 2}\n".encode() for i in range(50))
    for name in ("truth\x00.csv", "..", "가" * 300 + ".csv", "/"):
        preview = requests.post(
            f"{server.url}/api/v1/events/{contest.event}/tasks/preview",
            headers=organizer,
            files={"truth": (name, truth)},
            data={"metric": "accuracy"},
            timeout=30,
        )
        assert preview.status_code < 500, (name, preview.status_code, preview.text)
    roster = "team,affiliation,name,email\n감마,대구,최,g@x.kr\n".encode()
    imported = requests.post(
        f"{server.url}/api/v1/events/{contest.event}/teams/import",
        headers=organizer,
        files={"file": ("명단" * 100 + ".csv", roster)},
        timeout=30,
    )
    assert imported.status_code == 200, imported.text


def test_form_values_past_the_columns(site: dict[str, Any]) -> None:
    """Multipart forms: numbers past the integer columns and text past the text columns are
    a 4xx with a message (PostgreSQL refused them with a 500)."""
    server, contest, organizer = site["server"], site["contest"], site["organizer"]
    events = f"{server.url}/api/v1/events/{contest.event}"
    truth = b"id,target\n" + b"".join(f"{i},{i % 2}\n".encode() for i in range(50))
    for field, value in (
        ("daily_limit", "99999999999"),
        ("final_picks", "-1"),
        ("decimals", "100000"),
        ("title", "제목" * 200),
    ):
        made = requests.post(
            f"{events}/tasks?lang=en",
            headers=organizer,
            files={"truth": ("truth.csv", truth)},
            data={"slug": "t2", "metric": "accuracy", field: value},
            timeout=30,
        )
        assert made.status_code == 422 and field in _api_error(made)["message"], made.text
    for column, value in (("team", "팀" * 201), ("name", "이" * 201), ("email", "a" * 321)):
        row = {"team": "델타", "affiliation": "", "name": "김", "email": "d@x.kr", column: value}
        roster = "team,affiliation,name,email\n" + ",".join(row.values()) + "\n"
        imported = requests.post(
            f"{events}/teams/import?lang=en",
            headers=organizer,
            files={"file": ("roster.csv", roster.encode())},
            timeout=30,
        )
        assert imported.status_code == 422 and column in _api_error(imported)["message"], column
    for body in (
        {"slug": "year-one", "title": "t", "start": "0001-01-01T00:00", "end": "0001-01-02T00:00"},
        {
            "slug": "last",
            "title": "t",
            "start": "9999-12-30T00:00",
            "end": "9999-12-31T23:59-12:00",
        },
    ):
        made = requests.post(
            f"{server.url}/api/v1/events?lang=en", headers=organizer, json=body, timeout=10
        )
        assert made.status_code == 400 and "outside the years" in _api_error(made)["message"]


def test_views_read_bodies_only_through_the_schema_check(tmp_path: Path) -> None:
    """Every JSON-body operation's view calls ``json_body()``; no view parses JSON itself."""
    from app import create_app
    from app.api.validate import openapi_path
    from config import Settings

    api = Path(__file__).resolve().parents[2] / "app" / "api"
    parsing = [f.name for f in api.glob("*.py") if "get_json(" in f.read_text()]
    assert parsing == [], f"views parsing JSON themselves: {parsing}"
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path / 'unused.sqlite'}",
        redis_url=None,
        storage_dir=tmp_path / "storage",
        secret_key="test",
    )
    app = create_app(settings, start_background=False)
    documented = {
        (re.sub(r"\{[^}]+\}", "{}", path), method) for path, method, _ in _json_operations()
    }
    readers = {
        (openapi_path(rule), method): app.view_functions[rule.endpoint]
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if (openapi_path(rule), method) in documented
    }
    assert set(readers) == documented, "a documented body has no route"
    for (path, method), view in readers.items():
        assert "json_body()" in inspect.getsource(view), f"{method} {path}"


def test_json_bodies_follow_their_schemas(site: dict[str, Any]) -> None:
    server, contest = site["server"], site["contest"]
    organizer = site["organizer"]
    events = f"{server.url}/api/v1/events/{contest.event}"

    # The cases: wrong types were stored.
    weights = requests.put(
        f"{events}/review/weights?lang=en",
        headers=organizer,
        json={"w_auto": "nan", "w_review": 0.3},
        timeout=10,
    )
    assert weights.status_code == 400 and "w_auto" in _api_error(weights)["message"]
    nan = requests.put(
        f"{events}/review/weights",
        headers={**organizer, "Content-Type": "application/json"},
        data=b'{"w_auto": NaN, "w_review": 0.3}',
        timeout=10,
    )
    assert nan.status_code == 400 and _api_error(nan)["code"] == "invalid_json"
    standing = requests.get(f"{events}/final", headers=organizer, timeout=10).json()
    assert standing["weights"] == {"auto": 0.7, "review": 0.3}  # nothing stored
    staff = requests.post(
        f"{server.url}/api/v1/users?lang=en",
        headers=organizer,
        json={"email": ["a@b.kr"], "role": "judge"},
        timeout=10,
    )
    assert staff.status_code == 400 and "email" in _api_error(staff)["message"]
    typo = requests.post(
        f"{events}/criteria?lang=en",
        headers=organizer,
        json={"name": "기술성", "weight": 1, "wieght": 2},
        timeout=10,
    )
    assert typo.status_code == 400 and "wieght" in _api_error(typo)["message"]
    wrong_type = requests.post(
        f"{events}/criteria",
        headers={**organizer, "Content-Type": "text/plain"},
        data=b'{"name": "x", "weight": 1}',
        timeout=10,
    )
    assert wrong_type.status_code == 415 and _api_error(wrong_type)
    surrogate = requests.post(
        f"{events}/announcements",
        headers={**organizer, "Content-Type": "application/json"},
        data=b'{"message": "\\ud800"}',  # valid JSON, but no text a database can store
        timeout=10,
    )
    assert surrogate.status_code == 400 and _api_error(surrogate)["code"] == "invalid_json"

    # Every JSON route: malformed bodies are 4xx in the API's shape.
    operations = _json_operations()
    for path, method, _schema in operations:
        url = _fill(site, path)
        for raw in MALFORMED_JSON:
            reply = requests.request(
                method,
                url,
                data=raw,
                headers={
                    **_headers_for(site, path, method),
                    "Content-Type": "application/json",
                },
                timeout=30,
            )
            assert 400 <= reply.status_code < 500, (method, path, raw[:30], reply.status_code)
            _api_error(reply)

    # Every field of every JSON route: a wrong type is a 400 naming the field.
    for path, method, schema in operations:
        url = _fill(site, path) + "?lang=en"
        for name, field in schema["properties"].items():
            kinds = field.get("type", "string")
            wrong = [1.5] if "array" not in kinds else 1.5
            body = {**_sample(schema), name: wrong}
            reply = requests.request(
                method, url, json=body, headers=_headers_for(site, path, method), timeout=30
            )
            assert reply.status_code == 400, (method, path, name, reply.status_code)
            assert name in _api_error(reply)["message"], (method, path, name)


# The fields today's bodies take: fuzzed where a schema does not name its own.
FIELDS = [
    *("slug", "title", "start", "end", "freeze", "timezone", "email", "role", "name"),
    *("affiliation", "weight", "scale", "description", "per_team", "top", "remove", "add"),
    *("scores", "text", "reason", "kind", "note", "w_auto", "w_review", "task", "all"),
    "message",
]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def test_fuzzed_json_bodies_never_fail_the_server(site: dict[str, Any]) -> None:
    """A bounded fuzz run: random bodies built from each route's field names, a few hundred
    requests in all; every answer is below 500."""
    operations = _json_operations()
    failures: list[str] = []

    @settings(
        max_examples=400,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.sampled_from(operations).flatmap(
            lambda op: st.tuples(
                st.just(op),
                st.dictionaries(
                    st.sampled_from([*(op[2].get("properties") or FIELDS), "extra"]),
                    JSON_VALUES,
                    max_size=4,
                ),
            )
        )
    )
    def post(case: tuple[tuple[str, str, dict[str, Any]], dict[str, Any]]) -> None:
        (path, method, _schema), body = case
        reply = requests.request(
            method,
            _fill(site, path),
            json=body,
            headers=_headers_for(site, path, method),
            timeout=30,
        )
        if reply.status_code >= 500:
            failures.append(f"{method} {path} {body!r}: {reply.status_code}")

    post()
    assert not failures, failures[:10]

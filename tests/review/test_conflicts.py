"""A judge with a conflict of interest with a team (declared, or the team's affiliation) sees
none of its submissions, files or private scores, by any path: the submission API, the team's
file page, the staff and private boards, the statistics (API and page) and the final ranking.
A judge without one sees them all (issue 12, item 21). Against a real server."""

from __future__ import annotations

from pathlib import Path

import requests
import socketio

from app.security import new_token
from core.db import Database
from core.models import Role
from organize.accounts import create_user
from tests.actions import Api, bearer
from tests.helpers import Proc, end_event_now, seed_env, server_in

TEAM = "팀0"  # affiliation 소속0 in the seeded roster


def _add_judges(env: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Three judges: one will declare a conflict with 팀0, one shares its affiliation, one
    is free of both."""
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    judges = {}
    try:
        with database.begin() as session:
            for key, affiliation in (("declared", ""), ("alumnus", "소속0"), ("clean", "")):
                user, _ = create_user(
                    session, f"{key}@judge.kr", Role.JUDGE, name=key, affiliation=affiliation
                )
                session.flush()
                judges[key] = (user.id, new_token(session, user))
    finally:
        assert database.engine is not None
        database.engine.dispose()
    return judges


def _live_boards(url: str, event: str, token: str) -> dict[str, set[str]]:
    """The boards a judge's socket is sent on subscribe: board -> the teams in its rows."""
    client = socketio.Client(reconnection=False)
    seen: dict[str, set[str]] = {}
    client.on(
        "leaderboard",
        lambda board: seen.setdefault(board["board"], set()).update(
            row["team"] for row in board["rows"]
        ),
        namespace="/live",
    )
    client.connect(url, namespaces=["/live"], auth={"token": token}, transports=["websocket"])
    try:
        # The acknowledgement comes after the boards it lists (one socket, in order).
        ack = client.call("subscribe", {"event": event}, namespace="/live", timeout=30)
    finally:
        client.disconnect()
    assert ack["ok"], ack
    assert {sent["board"] for sent in ack["sent"]} == set(seen)
    return seen


def test_a_conflicted_judge_sees_nothing_of_the_team(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    judges = _add_judges(embedded_env)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = f"{server.url}/api/v1"
    base = f"{api}/events/{contest.event}"
    organizer = bearer(contest.staff_tokens["organizer"])
    uploads = Api(server, contest)
    submitted: dict[str, int] = {}
    for i, team in enumerate(contest.tokens):
        # Staff name a submission by its global id (its team by a public one).
        row = uploads.finished(uploads.entry(team, [0.1, 1.0, 3.0][i], i))
        assert row["status"] == "scored", row
        submitted[team] = row["id"]
    end_event_now(embedded_env)

    # The review: every judge is assigned (the alumnus never to 팀0), then a conflict.
    made = requests.post(
        f"{base}/criteria", headers=organizer, json={"name": "기술성", "weight": 1}
    )
    assert made.status_code == 201, made.text
    assigned = requests.post(f"{base}/assignments", headers=organizer, json={"per_team": 2})
    assert assigned.status_code == 200, assigned.text
    team_id = next(
        r["team_id"]
        for r in requests.get(f"{base}/assignments", headers=organizer, timeout=10).json()[
            "assignments"
        ]
        if r["team"] == TEAM
    )
    for key in ("declared", "clean"):  # both on 팀0's file before the declaration
        moved = requests.put(
            f"{base}/assignments/{team_id}",
            headers=organizer,
            json={"add": judges[key][0]},
            timeout=10,
        )
        assert moved.status_code == 200, moved.text
    declared = bearer(judges["declared"][1])
    conflict = requests.post(
        f"{base}/teams/{team_id}/conflict", headers=declared, json={"reason": "지도 교수"}
    )
    assert conflict.status_code == 200, conflict.text

    def views(headers: dict[str, str]) -> dict[str, object]:
        """Every path by which a judge could see 팀0's submissions or scores."""
        get = lambda url: requests.get(url, headers=headers, timeout=60)  # noqa: E731
        stats = get(f"{base}/statistics").json()["tasks"][0]
        return {
            "submission": get(f"{api}/submissions/{submitted[TEAM]}").status_code,
            "file page": get(
                f"{server.url}/events/{contest.event}/review/teams/{team_id}"
            ).status_code,
            "staff board": TEAM
            in {r["team"] for r in get(f"{base}/leaderboard?board=staff").json()["rows"]},
            "private board": TEAM
            in {r["team"] for r in get(f"{base}/leaderboard?board=private").json()["rows"]},
            "statistics": TEAM in {r["team"] for r in stats["rank_intervals"]}
            or TEAM in {m["team"] for m in stats["shake_up"]["movers"]},
            "statistics page": TEAM in get(f"{server.url}/events/{contest.event}/statistics").text,
            "final": TEAM in {r["team"] for r in get(f"{base}/final").json()["rows"]},
            "live boards": sorted(
                _live_boards(server.url, contest.event, headers["Authorization"][7:])
            ),
            "flag": requests.post(
                f"{api}/submissions/{submitted[TEAM]}/flags",
                headers=headers,
                json={"kind": "other", "note": "x"},
                timeout=10,
            ).status_code,
        }

    assert requests.post(f"{base}/review/lock", headers=organizer, timeout=10).status_code == 200
    open_view = views(bearer(judges["clean"][1]))
    assert open_view == {
        "submission": 200,
        "file page": 200,
        "staff board": True,
        "private board": True,
        "statistics": True,
        "statistics page": True,
        "final": True,
        "live boards": ["private", "public", "staff"],
        "flag": 201,
    }
    for key in ("declared", "alumnus"):
        shut = views(bearer(judges[key][1]))
        assert shut == {
            "submission": 404,
            "file page": 403,
            "staff board": False,
            "private board": False,
            "statistics": False,
            "statistics page": False,
            "final": False,
            "live boards": ["public"],
            "flag": 403,
        }, key
    # Nothing is lost for anyone else: the other teams stay in the conflicted judge's view.
    # and their ranks close up, so no gap tells where 팀0 stands (it leads: the least noise).
    for view in ("leaderboard?board=private", "leaderboard?board=staff", "final"):
        others = requests.get(f"{base}/{view}", headers=declared, timeout=10).json()["rows"]
        assert [(r["rank"], r["team"]) for r in others] == [(1, "팀1"), (2, "팀2")], view
    stats = requests.get(f"{base}/statistics", headers=declared, timeout=60).json()["tasks"][0]
    assert [r["rank"] for r in stats["rank_intervals"]] == [1, 2]
    assert all(
        1 <= low <= high <= 2 for low, high in (r["interval"] for r in stats["rank_intervals"])
    )

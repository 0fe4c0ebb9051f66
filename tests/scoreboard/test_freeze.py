"""Freeze (SPEC §3 rule 5): after ``hackjudge freeze`` nothing a participant or an anonymous
viewer can see changes — API, pages, websocket — while staff boards stay live."""

from __future__ import annotations

import json
import re
from pathlib import Path

import requests

from tests.actions import Api, bearer, drain, watch
from tests.helpers import Contest, Proc, cli, seed_env, server_in, wait_for


def public_views(server: Proc, contest: Contest) -> dict:
    """Everything a non-staff user can read about the board."""
    url = f"{server.url}/api/v1/events/{contest.event}/leaderboard"
    page = requests.get(f"{server.url}/events/{contest.event}", timeout=10).text
    initial = re.search(
        r'<script type="application/json" class="initial">(.*?)</script>', page, re.S
    )
    return {
        "anonymous_api": requests.get(url, timeout=10).json(),
        "participant_api": requests.get(
            url, timeout=10, headers=bearer(contest.tokens["팀1"])
        ).json(),
        "page": json.loads(initial.group(1)),
    }


def test_freeze_hides_everything_after_it_from_non_staff(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    first = api.entry("팀0", 0.8, 1)
    assert api.finished(first, 30)["status"] == "scored"

    viewer, public_boards = watch(server.url, contest.event)
    judge, staff_boards = watch(server.url, contest.event, contest.staff_tokens["judge"])
    cli(embedded_env, "freeze", contest.event)
    frozen = wait_for(
        lambda: [b for b in drain(public_boards) if b["frozen"]],
        15,
        "the frozen board to be pushed",
    )[-1]
    assert [r["team"] for r in frozen["rows"]] == ["팀0"]
    before = public_views(server, contest)
    assert before["anonymous_api"]["frozen"] is True
    assert before["page"]["frozen"] is True

    # After the freeze: a new team scores, the leader improves and submits again.
    later = [api.entry("팀1", 0.1, 2), api.entry("팀0", 0.05, 3)]
    for sub_id in later:
        assert api.finished(sub_id, 30)["status"] == "scored"
    staff = wait_for(
        lambda: [b for b in drain(staff_boards) if b["board"] == "staff" and len(b["rows"]) == 2],
        15,
        "the staff board to move",
    )[-1]
    assert {r["team"] for r in staff["rows"]} == {"팀0", "팀1"}

    after = public_views(server, contest)
    assert after == before  # scores, ranks, counts, last-submission times, version
    assert drain(public_boards) == []  # no push reached the public room
    # A team still sees its own new public score.
    own = requests.get(
        f"{server.url}/api/v1/submissions/{later[0]}",
        timeout=10,
        headers=bearer(contest.tokens["팀1"]),
    ).json()
    assert own["status"] == "scored" and own["public_score"] is not None

    cli(embedded_env, "unfreeze", contest.event)
    thawed = wait_for(
        lambda: [b for b in drain(public_boards) if not b["frozen"]], 15, "the unfrozen board"
    )[-1]
    assert {r["team"] for r in thawed["rows"]} == {"팀0", "팀1"}
    assert thawed["rows"][0]["submissions"] + thawed["rows"][1]["submissions"] == 3
    viewer.disconnect()
    judge.disconnect()

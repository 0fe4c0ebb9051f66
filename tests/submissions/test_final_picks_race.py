"""Final picks hold their limit under concurrency (SPEC §3 rule 2, issue 12 item 12).

Five members of a team press "Pick" on five different scored submissions at the same moment,
with a limit of two: exactly two picks win, the other three get 409 ``too_many_picks`` with
a message saying why. A real server process, concurrent HTTP requests, both databases.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from tests.actions import Api, bearer
from tests.helpers import Contest, Proc, prediction_csv, seed_env, server_in, worker_in

CANDIDATES = 5  # scored submissions picked at once, each by its own request
ROUNDS = 10


def scored_submissions(server: Proc, contest: Contest, team: str, count: int) -> list[str]:
    """``count`` submissions of ``team``, uploaded and scored; their ids as the team sees them."""
    api = Api(server, contest)
    ids = [api.submit(team, prediction_csv(contest.truth, 0.3, seed)) for seed in range(count)]
    for sub_id in ids:
        assert api.finished(sub_id, 120, token=contest.tokens[team])["status"] == "scored"
    return ids


def pick_at_once(server: Proc, token: str, ids: list[str]) -> list[requests.Response]:
    """One thread per submission, released together by a barrier: concurrent picks."""
    barrier = threading.Barrier(len(ids))
    replies: list[requests.Response | None] = [None] * len(ids)

    def pick(slot: int) -> None:
        with requests.Session() as http:
            http.headers.update(bearer(token, lang="en"))
            # Connected (keep-alive) before the barrier, so the picks arrive together.
            http.get(f"{server.url}/api/v1/submissions/{ids[slot]}", timeout=30)
            barrier.wait()
            replies[slot] = http.post(
                f"{server.url}/api/v1/submissions/{ids[slot]}/final", timeout=30
            )

    threads = [threading.Thread(target=pick, args=(slot,)) for slot in range(len(ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(reply is not None for reply in replies), "a pick request did not finish"
    return [reply for reply in replies if reply is not None]


def picked(server: Proc, token: str, ids: list[str]) -> list[str]:
    auth = bearer(token)
    return [
        i
        for i in ids
        if requests.get(f"{server.url}/api/v1/submissions/{i}", headers=auth, timeout=10).json()[
            "final"
        ]
    ]


@pytest.mark.parametrize("mode", ["postgres", "sqlite"])
def test_concurrent_picks_never_exceed_the_limit(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path, spawned: list[Proc]
) -> None:
    env = request.getfixturevalue("production_env" if mode == "postgres" else "embedded_env")
    contest = seed_env(env, tmp_path)  # the task keeps the default limit of 2 final picks
    server = server_in(env, spawned, tmp_path, "web")
    if mode == "postgres":
        worker_in(env, spawned, tmp_path, "worker")
    token = contest.tokens["팀0"]
    ids = scored_submissions(server, contest, "팀0", CANDIDATES)

    for round_ in range(ROUNDS):
        replies = pick_at_once(server, token, ids)
        statuses = sorted(reply.status_code for reply in replies)
        assert statuses == [200, 200, 409, 409, 409], f"round {round_}: {statuses}"
        for reply in replies:
            if reply.status_code == 409:
                error = reply.json()["error"]
                assert error["code"] == "too_many_picks"
                assert "At most 2 final picks" in error["message"]
        # What the replies said is what was kept.
        won = [i for i, reply in zip(ids, replies, strict=True) if reply.status_code == 200]
        assert sorted(picked(server, token, ids)) == sorted(won)
        for i in won:  # unpick for the next round
            reply = requests.delete(
                f"{server.url}/api/v1/submissions/{i}/final",
                headers=bearer(token),
                timeout=10,
            )
            assert reply.status_code == 200, reply.text
        assert picked(server, token, ids) == []

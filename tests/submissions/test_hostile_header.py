"""A pathological header at a production web node (issue 12, item 1).

A 64 KB header of 32,000 duplicate column names once held the gevent web node for 14 s in
pandas' duplicate-name mangling, and every other request waited. The header check now caps
the header's bytes and columns before parsing it with the csv module, so the node stays free:
four such uploads and a board request sent while they are in flight are all answered (within
the 30 s every request of the suite allows; before, the uploads alone held the node 4 × 14 s),
the uploads refused with a message naming the cap.
"""

from __future__ import annotations

import http.client
import threading
from pathlib import Path
from urllib.parse import urlsplit

import requests
from urllib3 import encode_multipart_formdata

from tests.helpers import Contest, Proc, seed_env, server_in

HEADER = b",".join([b"a"] * 32_000) + b"\n" + b"1\n" * 100  # 64 KB of header, then rows
UPLOADS = 4
TIMEOUT = 30  # what every request of the suite allows


def post_upload(server: Proc, contest: Contest, token: str, sent: threading.Barrier) -> dict:
    """Upload ``HEADER``; pass ``sent`` once the whole request is on the wire, then read."""
    body, content_type = encode_multipart_formdata({"file": ("pred.csv", HEADER, "text/csv")})
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT)
    try:
        connection.request(
            "POST",
            f"/api/v1/events/{contest.event}/tasks/{contest.task}/submissions",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": content_type,
                "Accept-Language": "en",
            },
        )
        sent.wait(TIMEOUT)
        reply = connection.getresponse()
        return {"status": reply.status, "body": reply.read().decode()}
    finally:
        connection.close()


def test_a_pathological_header_is_refused_while_the_board_is_served(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(production_env, tmp_path, teams=UPLOADS)
    server = server_in(production_env, spawned, tmp_path, "web")
    sent = threading.Barrier(UPLOADS + 1)
    replies: dict[int, dict] = {}
    failures: list[BaseException] = []

    def participant(i: int, token: str) -> None:
        try:
            replies[i] = post_upload(server, contest, token, sent)
        except BaseException as exc:  # reported by the test, in its own thread
            failures.append(exc)

    threads = [
        threading.Thread(target=participant, args=(i, token))
        for i, token in enumerate(contest.tokens.values())
    ]
    for thread in threads:
        thread.start()
    sent.wait(TIMEOUT)  # every upload is on the wire; the node is checking their headers
    board = requests.get(f"{server.url}/api/v1/events/{contest.event}/leaderboard", timeout=TIMEOUT)
    for thread in threads:
        thread.join(2 * TIMEOUT)

    assert board.status_code == 200 and board.json()["rows"] == []
    assert not failures, failures
    assert len(replies) == UPLOADS
    for reply in replies.values():
        assert reply["status"] == 422, reply
        assert "32000 columns; at most" in reply["body"], reply

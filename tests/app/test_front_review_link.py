"""The front page leads a judge (and an organizer) to each event's review workspace; a
participant, who may not review, gets no such link."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.actions import Api
from tests.helpers import Contest


def review_links(html: str) -> list[str]:
    return re.findall(r'<a class="review-link" href="([^"]+)">([^<]+)</a>', html)


def test_a_judge_reaches_the_review_workspace_from_the_front_page(
    app: Flask, client: FlaskClient, contest: Contest
) -> None:
    workspace = f"/events/{contest.event}/review"
    assert review_links(client.get("/").get_data(as_text=True)) == []  # not signed in
    assert Api(client, contest).sign_in("judge@test.kr").status_code == 302
    links = review_links(client.get("/").get_data(as_text=True))
    assert links == [(workspace, "심사")], links
    opened = client.get(links[0][0])
    assert opened.status_code == 200
    assert '<small class="muted">심사</small>' in opened.get_data(as_text=True)

    organizer = app.test_client()
    assert Api(organizer, contest).sign_in("organizer@test.kr").status_code == 302
    assert review_links(organizer.get("/").get_data(as_text=True)) == [(workspace, "심사")]

    participant = app.test_client()
    assert Api(participant, contest).sign_in("p0@test.kr").status_code == 302
    assert review_links(participant.get("/").get_data(as_text=True)) == []

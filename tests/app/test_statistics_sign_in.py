"""The statistics page, reached by someone not signed in: the sign-in notice speaks the
page's language (not Flask-Login's English default), signing in leads back to the page, and
the page names each task by its title."""

from __future__ import annotations

import re
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.actions import Api
from tests.helpers import Contest

KOREAN_NOTICE = "이 페이지를 보려면 로그인하세요."
ENGLISH_NOTICE = "Sign in to see this page."


def visible_text(html: str) -> str:
    """What a reader sees: the body without tags, scripts and attributes."""
    body = html.split("<main", 1)[1].split("</main>", 1)[0]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.DOTALL)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def test_the_sign_in_notice_follows_the_pages_language(
    client: FlaskClient, contest: Contest
) -> None:
    statistics = f"/events/{contest.event}/statistics"
    reply = client.get(statistics, follow_redirects=True)
    html = reply.get_data(as_text=True)
    assert reply.request.path == "/login", "an anonymous visitor is sent to sign in"
    assert '<html lang="ko">' in html
    assert f'<p class="flash info">{KOREAN_NOTICE}</p>' in html
    assert "Please log in" not in html and ENGLISH_NOTICE not in html

    client.get("/lang/en")  # the language switch in the page's header: a cookie
    html = client.get(statistics, follow_redirects=True).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert f'<p class="flash info">{ENGLISH_NOTICE}</p>' in html
    assert KOREAN_NOTICE not in html


def test_signing_in_leads_back_to_the_statistics_with_task_titles(
    app: Flask, client: FlaskClient, contest: Contest
) -> None:
    from app.extensions import db
    from core.models import Task

    with db.begin() as session:
        session.scalars(select(Task)).one().title = "유방암 진단"
    statistics = f"/events/{contest.event}/statistics"
    login = client.get(statistics)
    assert login.status_code == 302
    query = login.headers["Location"].split("/login", 1)[1]  # ?next=…, as the browser follows
    signed_in = Api(client, contest).sign_in("judge@test.kr", query=query)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == statistics
    page = client.get(statistics).get_data(as_text=True)
    assert "<h2>유방암 진단 " in page
    # The slug ("t1") is the task's address, not its name: nowhere in the text a judge reads.
    assert contest.task not in visible_text(page), visible_text(page)

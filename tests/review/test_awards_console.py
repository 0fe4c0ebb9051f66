"""The console's awards section (issue 17) as a browser posts its forms, on SQLite and
PostgreSQL: awards by the final ranking ("대상 1, 최우수상 2"), by hand and taken back; each
post redirects to the section with its message; organizers only, with the page's CSRF token;
bad input is said, never stored."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from core.models import Award, Team
from review.awards import places
from review.reviews import ReviewError
from tests.actions import Api
from tests.final_round import lock_review
from tests.helpers import Contest


def _token(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match[1]


def _listed(html: str) -> list[tuple[str, str]]:
    """The console's awards table: (award, team) in order."""
    return re.findall(
        r'<td class="award-name">([^<]*)</td><td class="award-team">([^<]*)</td>', html
    )


def _said(html: str) -> list[str]:
    """The messages shown in the awards section."""
    section = html[html.index('<section class="card" id="awards">') :]
    return re.findall(r'<p class="flash (?:ok|error) awards" role="status">([^<]*)</p>', section)


class Console:
    """The organizer's console in the test client: its page, and its forms posted."""

    def __init__(self, client: FlaskClient, event: str) -> None:
        self.client, self.event = client, event

    def page(self, query: str = "") -> str:
        reply = self.client.get(f"/events/{self.event}/organize{query}")
        assert reply.status_code == 200
        return reply.get_data(as_text=True)

    def post(self, path: str, **form: str) -> str:
        """Post a form of the console's page; the page it redirects to."""
        data = {"csrf_token": _token(self.page()), **form}
        reply = self.client.post(f"/events/{self.event}/organize/{path}", data=data)
        assert reply.status_code == 302, reply.get_data(as_text=True)
        assert reply.headers["Location"].endswith(f"/events/{self.event}/organize#awards")
        return self.page()


def _stored() -> int:
    with db.begin() as session:
        return session.scalar(select(func.count(Award.id))) or 0


def test_the_organizer_gives_and_takes_back_awards_in_the_console(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    with db.begin() as session:
        ids = {t.name: t.id for t in session.scalars(select(Team))}
    assert api.sign_in("organizer@test.kr").status_code == 302
    console = Console(client, contest.event)
    empty = console.page()
    assert 'id="awards-empty"' in empty and _listed(empty) == []
    assert "먼저 심사를 마감하세요. 그때 순위가 확정됩니다." in empty  # by the ranking: locked

    early = console.post("awards/by-rank", places="대상 1, 최우수상 2")
    assert _said(early) == ["최종 순위로 상을 주려면 먼저 심사를 마감하세요."]
    assert _stored() == 0

    lock_review(api, contest)  # 팀0 > 팀1 > 팀2
    given = console.post("awards/by-rank", places="대상 1,\n최우수상 2팀")
    assert _said(given) == ["최종 순위에 따라 상을 주었습니다."]
    assert _listed(given) == [("대상", "팀0"), ("최우수상", "팀1"), ("최우수상", "팀2")]
    assert "최종 순위 2위" in given
    special = console.post("awards", name="  특별상 ", team_id=str(ids["팀2"]))
    assert _said(special) == ["상을 주었습니다."]
    assert _listed(special)[-1] == ("특별상", "팀2")
    # Given by the ranking again: those given by it are replaced, the special prize stays.
    again = console.post("awards/by-rank", places="대상, 우수상")
    assert _listed(again) == [("대상", "팀0"), ("우수상", "팀1"), ("특별상", "팀2")]
    award_id = re.findall(r'<tr data-award="(\d+)">', again)[-1]
    taken = console.post(f"awards/{award_id}/delete")
    assert _said(taken) == ["상을 취소했습니다."]
    assert _listed(taken) == [("대상", "팀0"), ("우수상", "팀1")]
    # The page in English says the same in English.
    english = console.page("?lang=en")
    assert "Awards" in english and "by the final ranking: rank 1" in english

    # Bad input: said in the section, nothing stored.
    for path, form, message in (
        ("awards/by-rank", {"places": " , "}, "상 이름을"),
        ("awards/by-rank", {"places": "대상 0"}, "대상"),
        ("awards/by-rank", {"places": "대상 51"}, "50"),
        ("awards/by-rank", {"places": "가" * 101}, "100"),
        ("awards", {"name": "", "team_id": str(ids["팀0"])}, "100"),
        ("awards", {"name": "특별상", "team_id": "abc"}, "팀을 고르세요"),
        ("awards", {"name": "특별상", "team_id": "99999999999999"}, "팀을 고르세요"),
        ("awards", {"name": "특별상", "team_id": "999999"}, "999999"),
        (f"awards/{award_id}/delete", {}, str(award_id)),
    ):
        page = console.post(path, **form)
        said = _said(page)
        assert len(said) == 1 and message in said[0], (form, said)
        assert 'class="flash error awards"' in page
        assert _stored() == 2, form


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("대상 1, 최우수상 2, 우수상 3", ["대상"] + ["최우수상"] * 2 + ["우수상"] * 3),
        ("대상\n최우수상\n우수상", ["대상", "최우수상", "우수상"]),
        ("Grand prize 1 team, Runner-up 2 teams", ["Grand prize", "Runner-up", "Runner-up"]),
        ("  장려상   5팀 ,", ["장려상"] * 5),
        ("Top 10", ["Top"] * 10),  # a number at the end counts teams
    ],
)
def test_places_read_award_names_and_team_counts(text: str, names: list[str]) -> None:
    assert places(text) == names


@pytest.mark.parametrize("text", ["", " ,\n", "대상 0", "대상 51", "대상 30, 우수상 21", "x" * 101])
def test_places_refuse_what_gives_nothing_or_too_much(text: str) -> None:
    with pytest.raises(ReviewError) as refused:
        places(text)
    assert refused.value.status == 400


def test_only_organizers_use_the_awards_forms(
    client: FlaskClient, contest: Contest, api: Api
) -> None:
    with db.begin() as session:
        team_id = session.scalars(select(Team.id)).first()
    base = f"/events/{contest.event}/organize/awards"
    forms = [
        (f"{base}/by-rank", {"places": "대상"}),
        (base, {"name": "특별상", "team_id": str(team_id)}),
        (f"{base}/1/delete", {}),
    ]
    token = _token(client.get("/login").get_data(as_text=True))
    for path, form in forms:
        anonymous = client.post(path, data={"csrf_token": token, **form})
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for email in ("judge@test.kr", "p0@test.kr"):
        assert api.sign_in(email).status_code == 302
        token = _token(client.get("/").get_data(as_text=True))
        for path, form in forms:
            assert client.post(path, data={"csrf_token": token, **form}).status_code == 403
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert api.sign_in("organizer@test.kr").status_code == 302
    for path, form in forms:  # without the page's token
        assert client.post(path, data=form).status_code == 400
    assert _stored() == 0

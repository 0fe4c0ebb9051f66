"""The web UI speaks Korean by default and English on request; the catalogue is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tests.actions import csrf_token
from tests.helpers import ROOT, TRANSLATIONS, Contest

KO_PO = TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po"
POT = TRANSLATIONS / "messages.pot"


def makefile_keywords() -> dict[str, object]:
    """The keywords `make messages` gives `pybabel extract` (its KEYWORDS), plus the defaults."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^KEYWORDS = ((?:.*\\\n)*.*)$", text, re.MULTILINE)
    assert match, "the Makefile has no KEYWORDS line"
    return {**DEFAULT_KEYWORDS, **parse_keywords(match.group(1).replace("\\\n", " ").split())}


KEYWORDS = makefile_keywords()
# Translated at run time from data (`_(current_user.role)`, statuses), so listed by hand.
DYNAMIC = ("organizer", "judge", "participant", "queued", "scoring", "scored", "invalid", "failed")

BOARD_KO = (">순위</th>", "<th>팀</th>", ">점수</th>", ">제출 수</th>", "리더보드", "마감")
BOARD_EN = (">Rank</th>", "<th>Team</th>", ">Score</th>", ">Entries</th>", "Leaderboard")
LOGIN_KO = ('<button type="submit">로그인</button>', "이메일", "비밀번호")
LOGIN_EN = ('<button type="submit">Sign in</button>', "E-mail", "Password")


def page(client: FlaskClient, path: str) -> str:
    reply = client.get(path)
    assert reply.status_code == 200, path
    return reply.get_data(as_text=True)


def assert_korean(html: str, expected: tuple[str, ...], english: tuple[str, ...]) -> None:
    assert '<html lang="ko">' in html
    for text in expected:
        assert text in html
    for text in english:
        assert text not in html


def assert_english(html: str, expected: tuple[str, ...], korean: tuple[str, ...]) -> None:
    assert '<html lang="en">' in html
    for text in expected:
        assert text in html
    for text in korean:
        assert text not in html


# --- pages --------------------------------------------------------------------------------


def test_pages_are_korean_by_default(client: FlaskClient, contest: Contest) -> None:
    assert_korean(page(client, f"/events/{contest.event}"), BOARD_KO, BOARD_EN)
    assert_korean(page(client, "/login"), LOGIN_KO, LOGIN_EN)


def test_lang_query_renders_english(client: FlaskClient, contest: Contest) -> None:
    assert_english(page(client, f"/events/{contest.event}?lang=en"), BOARD_EN, BOARD_KO)
    assert_english(page(client, "/login?lang=en"), LOGIN_EN, LOGIN_KO)
    # The query parameter alone does not stick.
    assert_korean(page(client, "/login"), LOGIN_KO, LOGIN_EN)


def test_lang_route_sets_a_cookie_that_keeps_english(client: FlaskClient, contest: Contest) -> None:
    board = f"/events/{contest.event}"
    reply = client.get("/lang/en", headers={"Referer": board})
    assert reply.status_code == 302
    assert reply.headers["Location"].endswith(board)
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "en"

    assert_english(page(client, board), BOARD_EN, BOARD_KO)
    assert_english(page(client, "/login"), LOGIN_EN, LOGIN_KO)

    client.get("/lang/fr")  # unsupported: the choice stays
    assert client.get_cookie("lang").value == "en"

    client.get("/lang/ko")
    assert client.get_cookie("lang").value == "ko"
    assert_korean(page(client, board), BOARD_KO, BOARD_EN)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "이메일 또는 비밀번호가 올바르지 않습니다."),
        ("?lang=en", "E-mail or password is wrong."),
    ],
    ids=["ko", "en"],
)
def test_flash_from_python_code_is_translated(
    client: FlaskClient, contest: Contest, query: str, expected: str
) -> None:
    token = csrf_token(page(client, f"/login{query}"))
    reply = client.post(
        f"/login{query}",
        data={"csrf_token": token, "email": "organizer@test.kr", "password": "wrong"},
    )
    assert reply.status_code == 200
    assert expected in reply.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "korean"), [("organizer", "운영진"), ("judge", "심사위원")], ids=["organizer", "judge"]
)
def test_role_name_is_translated(
    client: FlaskClient, contest: Contest, role: str, korean: str
) -> None:
    email = f"{role}@test.kr"
    token = csrf_token(page(client, "/login"))
    reply = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": contest.passwords[email]}
    )
    assert reply.status_code == 302
    assert f"· {korean}</span>" in page(client, "/")
    assert f"· {role}</span>" in page(client, "/?lang=en")


# --- catalogues ---------------------------------------------------------------------------


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def msgid(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def extracted_now() -> dict[str, str]:
    """Every msgid in the sources today, as ``pybabel extract -F babel.cfg`` finds them."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")

    packages = {pattern.split("/")[0] for pattern, _method in method_map}

    def only_sources(path: str) -> bool:
        relative = Path(path).relative_to(ROOT)
        return relative.parts[0] in packages and not relative.name.startswith((".", "_"))

    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=only_sources
    ):
        found.setdefault(msgid(message), f"{filename}:{lineno}")
    return found


def test_korean_catalogue_is_complete_and_not_fuzzy() -> None:
    catalog = read_catalog(KO_PO)
    assert not catalog.fuzzy, "the ko catalogue header is marked fuzzy"
    messages = [m for m in catalog if m.id]
    assert messages
    untranslated = [m.id for m in messages if not m.string or not all(m.string)]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated, f"untranslated in ko: {untranslated}"
    assert not fuzzy, f"fuzzy in ko: {fuzzy}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, problems
    ids = {msgid(m.id) for m in messages}
    assert set(DYNAMIC) <= ids, f"missing dynamic strings: {set(DYNAMIC) - ids}"


def test_every_extracted_string_is_in_the_template_and_translated() -> None:
    extracted = extracted_now()
    assert "Sign in" in extracted and "E-mail or password is wrong." in extracted

    template_ids = {msgid(m.id) for m in read_catalog(POT) if m.id}
    stale = {i: where for i, where in extracted.items() if i not in template_ids}
    assert not stale, f"messages.pot is stale (re-run pybabel extract): {stale}"

    catalog = read_catalog(KO_PO)
    translated = {msgid(m.id) for m in catalog if m.id and m.string and all(m.string)}
    missing = {i: where for i, where in extracted.items() if i not in translated}
    assert not missing, f"not translated in ko (pybabel update, then translate): {missing}"

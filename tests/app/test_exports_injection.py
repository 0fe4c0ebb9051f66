"""Spreadsheet formula injection (issue 12, item 16): a team named ``=HYPERLINK(…)`` and
judges' comments ``+1``, ``-2``, ``@SUM(A1)`` reach every file the app writes for a
spreadsheet — the XLSX and CSV exports (API and ``hackjudge export``), the credentials CSV of a
team import (API and CLI) and ``hackjudge leaderboard --format csv`` — as text, never as a
formula; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import requests
from openpyxl import load_workbook
from sqlalchemy import select

from core.db import Database
from core.models import Team
from tests.actions import Api, bearer
from tests.helpers import Proc, cli, prediction_csv, seed_env, server_in

HOSTILE_TEAM = '=HYPERLINK("http://x")'
HOSTILE_COMMENTS = ("+1", "-2", "@SUM(A1)")
HOSTILE_CRITERION = "=1+1"  # a column header of the judge_scores sheet
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _rename_first_team(env: dict[str, str], name: str) -> None:
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            session.scalars(select(Team).where(Team.name == "팀0")).one().name = name
    finally:
        assert database.engine is not None
        database.engine.dispose()


def _run_review(server: Proc, event: str, organizer: dict, judge: dict) -> None:
    """One judge scores every team (9, 6, 3: one review z below zero) and comments."""
    api = f"{server.url}/api/v1/events/{event}"
    made = requests.post(
        f"{api}/criteria", headers=organizer, json={"name": HOSTILE_CRITERION, "weight": 1}
    )
    assert made.status_code == 201, made.text
    criterion = made.json()["id"]
    assigned = requests.post(f"{api}/assignments", headers=organizer, json={"per_team": 1})
    assert assigned.status_code == 200, assigned.text
    mine = requests.get(f"{api}/assignments", headers=judge, timeout=10).json()["assignments"]
    points = {HOSTILE_TEAM: 9, "팀1": 6, "팀2": 3}
    for row in mine:
        scored = requests.put(
            f"{api}/teams/{row['team_id']}/scores",
            headers=judge,
            json={"scores": {str(criterion): points[row["team"]]}},
            timeout=10,
        )
        assert scored.status_code == 200, scored.text
        if row["team"] == HOSTILE_TEAM:
            for text in HOSTILE_COMMENTS:
                said = requests.post(
                    f"{api}/teams/{row['team_id']}/comments",
                    headers=judge,
                    json={"text": text},
                    timeout=10,
                )
                assert said.status_code == 201, said.text


def _assert_xlsx_safe(data: bytes, where: str) -> None:
    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    formulas = [f"{c.parent.title}!{c.coordinate}={c.value!r}" for c in cells if c.data_type == "f"]
    assert not formulas, f"{where}: formula cells {formulas}"
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    # The exact text is kept; Excel's own "this is text" mark (quotePrefix) keeps a user who
    # edits the cell from turning it into a formula.
    for hostile in (HOSTILE_TEAM, HOSTILE_CRITERION, *HOSTILE_COMMENTS):
        assert hostile in texts, f"{where}: {hostile!r} missing"
        assert texts[hostile].data_type == "s" and texts[hostile].quotePrefix, where
    unmarked = [v for v, c in texts.items() if v.startswith(TRIGGERS) and not c.quotePrefix]
    assert not unmarked, f"{where}: formula-like text without the text mark: {unmarked}"
    final = book["final"]
    header = [c.value for c in final[1]]
    ranks = [row[header.index("rank")] for row in final.iter_rows(min_row=2)]
    zs = [row[header.index("review_z")] for row in final.iter_rows(min_row=2)]
    assert [c.value for c in ranks] == [1, 2, 3] and all(c.data_type == "n" for c in ranks)
    assert all(isinstance(c.value, int | float) and c.data_type == "n" for c in zs), where
    assert min(c.value for c in zs) < 0, where  # a negative number is a number, not text


def _assert_csv_safe(text: str, where: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    raw = [c for c in cells if c.startswith(TRIGGERS) and not _is_number(c)]
    assert not raw, f"{where}: cells a spreadsheet would run as formulas: {raw}"
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_exports_write_formula_like_text_as_text(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    _rename_first_team(embedded_env, HOSTILE_TEAM)
    tokens = {HOSTILE_TEAM if t == "팀0" else t: v for t, v in contest.tokens.items()}
    server = server_in(embedded_env, spawned, tmp_path, "web")
    organizer = bearer(contest.staff_tokens["organizer"])
    judge = bearer(contest.staff_tokens["judge"])
    api = f"{server.url}/api/v1/events/{contest.event}"
    uploads = Api(server, contest)
    for i, token in enumerate(tokens.values()):
        body = prediction_csv(contest.truth, [0.1, 1.0, 3.0][i], i)
        row = uploads.finished(uploads.submit(None, body, token=token))
        assert row["status"] == "scored", row
    _run_review(server, contest.event, organizer, judge)

    # The exports, from the API and from the command line.
    xlsx = requests.get(f"{api}/export.xlsx", headers=organizer, timeout=60)
    assert xlsx.status_code == 200, xlsx.text
    _assert_xlsx_safe(xlsx.content, "API export.xlsx")
    cli(embedded_env, "export", contest.event, "--out", str(tmp_path / "results.xlsx"))
    _assert_xlsx_safe((tmp_path / "results.xlsx").read_bytes(), "hackjudge export .xlsx")

    exported = requests.get(f"{api}/export.csv", headers=organizer, timeout=60)
    assert exported.status_code == 200 and exported.content.startswith("\ufeff".encode())
    cli(embedded_env, "export", contest.event, "--out", str(tmp_path / "results.csv"))
    for where, text in (
        ("API export.csv", exported.content.decode("utf-8-sig")),
        ("hackjudge export .csv", (tmp_path / "results.csv").read_text(encoding="utf-8-sig")),
    ):
        final = _assert_csv_safe(text, where)
        assert final[0]["team"] == "'" + HOSTILE_TEAM, where  # the best team, quoted as text
        assert [r["rank"] for r in final] == ["1", "2", "3"], where
        assert min(float(r["review_z"]) for r in final) < 0, where  # "-0.7…" stays a number

    # The board as CSV from the command line.
    board = _assert_csv_safe(
        cli(embedded_env, "leaderboard", contest.event, "--board", "staff", "--format", "csv"),
        "hackjudge leaderboard --format csv",
    )
    assert "'" + HOSTILE_TEAM in {r["team"] for r in board}

    # The credentials of a team import, from the API and from the command line.
    roster = "team,affiliation,name,email\n+SUM(1),@corp,-보안,a@b.kr\n"
    imported = requests.post(
        f"{api}/teams/import",
        headers=organizer,
        files={"file": ("roster.csv", roster.encode())},
        timeout=30,
    )
    assert imported.status_code == 200, imported.text
    (row,) = _assert_csv_safe(imported.content.decode("utf-8-sig"), "API credentials")
    assert (row["team"], row["name"]) == ("'+SUM(1)", "'-보안")
    (tmp_path / "roster.csv").write_text(roster.replace("a@b.kr", "c@d.kr").replace("+", "="))
    out = tmp_path / "credentials.csv"
    cli(
        embedded_env,
        "team",
        "import",
        contest.event,
        str(tmp_path / "roster.csv"),
        "--out",
        str(out),
    )
    (row,) = _assert_csv_safe(out.read_text(encoding="utf-8-sig"), "CLI credentials")
    assert (row["team"], row["name"]) == ("'=SUM(1)", "'-보안")

"""What the organizer commands print at a terminal: ``leaderboard --format table`` with a header
and columns that line up when team names are Korean, and every time on the event's clock."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core.db import utcnow
from tests.actions import Api
from tests.helpers import Proc, cli, event_row, prediction_csv, seed_env, server_in

# Team names as a roster brings them: Latin, Hangul, both, fullwidth, and one past the table's
# 30 columns (24 Hangul syllables: 48 columns).
NAMES = [
    "Gradient Boosters",
    "딥러닝 탐험대",
    "AI연구소 Lab",
    "ＡＢＣ",
    "가나다라마바사아자차" * 2 + "카타파하",
]
LONG = NAMES[-1]


def columns(text: str) -> int:
    """Terminal columns, as the test reads them: Hangul and fullwidth letters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def cells_at(line: str, cells: list[str]) -> list[tuple[int, int]]:
    """Where each of ``cells`` (in order) starts and ends in ``line``, in display columns."""
    spans, pos = [], 0
    for cell in cells:
        found = line.index(cell, pos)
        start = columns(line[:found])
        spans.append((start, start + columns(cell)))
        pos = found + len(cell)
    return spans


def on_clock(moment: datetime, zone: str) -> str:
    """How an organizer in ``zone`` reads ``moment``: ``2026-12-06 17:00:00 KST (UTC+09:00)``."""
    local = moment.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def test_leaderboard_table_lines_up_korean_names_under_a_header(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path, teams=2)  # 팀0, 팀1
    roster = tmp_path / "teams.csv"
    lines = [f"{name},소속,멤버{i},m{i}@x.kr" for i, name in enumerate(NAMES)]
    roster.write_text("team,affiliation,name,email\n" + "\n".join(lines) + "\n", encoding="utf-8")
    cli(embedded_env, "team", "import", contest.event, str(roster), "--out", str(tmp_path / "c"))
    tokens = dict(contest.tokens)
    for i, name in enumerate(NAMES):
        tokens[name] = cli(embedded_env, "token", "create", f"m{i}@x.kr", "--scope", "submit")
        tokens[name] = tokens[name].strip()
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    for seed, token in enumerate(tokens.values()):
        body = prediction_csv(contest.truth, 0.2 + seed / 10, seed)
        scored = api.finished(api.submit(None, body, token=token))
        assert scored["status"] == "scored", scored

    board = json.loads(cli(embedded_env, "leaderboard", contest.event, "--format", "json"))
    assert len(board["rows"]) == len(tokens)
    printed = cli(embedded_env, "leaderboard", contest.event, "--format", "table")
    title, header, *rows = printed.rstrip("\n").split("\n")
    assert title.startswith(f"{contest.task} (public, v")
    labels = ["rank", "team", "score", "submissions", "last submission"]
    assert header.split() == ["rank", "team", "score", "submissions", "last", "submission"]
    assert len(rows) == len(board["rows"])

    spans = [cells_at(header, labels)]
    for line, row in zip(rows, board["rows"], strict=True):
        team = row["team"]
        if team == LONG:
            # Cut to the column's 30, "..." saying so.
            shown = re.search(r"가나다\S*\.\.\.", line).group(0)
            assert LONG.startswith(shown[:-3]) and 28 <= columns(shown) <= 30, shown
            team = shown
        when = datetime.fromisoformat(row["last_submission_at"]).astimezone(ZoneInfo("Asia/Seoul"))
        cells = [
            str(row["rank"]),
            team,
            f"{row['score']:.{board['decimals']}f}",
            str(row["submissions"]),
            f"{when:%Y-%m-%d %H:%M:%S} KST",  # the event's clock, not the API's UTC
        ]
        spans.append(cells_at(line, cells))
    # rank, score and submissions end at one column; team and the time start at one column.
    for column, side in ((0, 1), (1, 0), (2, 1), (3, 1), (4, 0)):
        edges = {span[column][side] for span in spans}
        assert len(edges) == 1, (labels[column], edges, printed)


def test_times_are_printed_on_the_events_clock(embedded_env: dict[str, str]) -> None:
    now = utcnow().replace(microsecond=0)
    for slug, zone in (("seoul", "Asia/Seoul"), ("berlin", "Europe/Berlin")):
        local = ZoneInfo(zone)
        start, end, freeze = (
            now - timedelta(hours=1),
            now + timedelta(days=1),
            now + timedelta(hours=20),
        )
        typed = [t.astimezone(local).strftime("%Y-%m-%dT%H:%M:%S") for t in (start, end, freeze)]
        said = cli(embedded_env, "event", "create", slug, "--title", "대회", "--timezone", zone,
                   "--start", typed[0], "--end", typed[1], "--freeze", typed[2])  # fmt: skip
        # Read back as typed: in the event's zone, named, with its offset.
        assert f"created event {slug} ({zone})" in said, said
        for name, moment in (("start", start), ("end", end), ("freeze", freeze)):
            assert re.search(rf"{name}\s+{re.escape(on_clock(moment, zone))}", said), said

        said = cli(embedded_env, "freeze", slug)
        row = event_row(embedded_env, slug)
        assert said.strip() == f"{slug} frozen since {on_clock(row.freeze_at, zone)}"
        utc_wall = row.freeze_at.astimezone(ZoneInfo("UTC")).strftime("%H:%M:%S")
        assert utc_wall not in said and "UTC+00:00" not in said, said  # not the server's UTC

        said = cli(embedded_env, "unfreeze", slug)
        expected = f"{slug} unfrozen; the scheduled freeze at {on_clock(freeze, zone)} stays"
        assert said.strip() == expected

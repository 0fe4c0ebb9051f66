"""Exports for organizers (SPEC §5): the final ranking, every judge's raw and normalised
scores, judges' summaries, comments, flags, the private boards and the audit log, as XLSX
sheets or CSV."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.cells import csv_text, xlsx_cell
from core.db import iso
from core.models import Comment, Event, RubricScore, Team, User
from review import notes, project_exports, results, reviews, verifications
from scoreboard.boards import Board, current_board


def sheets(session: Session, event: Event) -> dict[str, pd.DataFrame]:
    """Every table of the export, by sheet name."""
    standing = results.final_standing(session, event)
    users = {u.id: u.name or u.email for u in session.scalars(select(User))}
    final_columns = ["rank", "team", "final", "auto", "review", "auto_rank", "review_z"]
    final = pd.DataFrame(
        [
            dict(
                zip(
                    final_columns,
                    (
                        r["rank"],
                        r["team"],
                        r["final"],
                        r["auto"],
                        r["review"],
                        r["auto_rank"],
                        r["review_score"],
                    ),
                    strict=True,
                ),
                **{f"task:{slug}": pct for slug, pct in r["tasks"].items()},
            )
            for r in standing["rows"]
        ]
    )
    if final.empty:
        final = pd.DataFrame(columns=final_columns)
    criteria = {c.id: c.name for c in reviews.criteria_of(session, event)}
    normalised = {
        (int(judge), row["team"]): numbers
        for row in standing["rows"]
        for judge, numbers in row["judges"].items()
    }
    raw: dict[tuple[int, str], dict[str, float]] = {}
    for score, team in session.execute(
        select(RubricScore, Team)
        .join(Team, Team.id == RubricScore.team_id)
        .where(Team.event_id == event.id)
    ):
        raw.setdefault((score.judge_id, team.name), {})[criteria.get(score.criterion_id, "?")] = (
            score.score
        )
    scores = pd.DataFrame(
        [
            {
                "judge": users.get(judge, judge),
                "team": team,
                **values,
                "total": normalised.get((judge, team), {}).get("total"),
                "z": normalised.get((judge, team), {}).get("z"),
            }
            for (judge, team), values in sorted(raw.items())
        ]
    )
    judges = pd.DataFrame(
        [
            {
                "judge": users.get(j["judge_id"], j["judge_id"]),
                "scores": j["count"],
                "mean": j["mean"],
                "std": j["std"],
                "flags": ", ".join(j["flags"]),
            }
            for j in standing["judges"]
        ]
    )
    comment_rows = session.execute(
        select(Comment, Team)
        .join(Team, Team.id == Comment.team_id)
        .where(Team.event_id == event.id)
        .order_by(Comment.id)
    )
    comments = pd.DataFrame(
        [
            {
                "team": t.name,
                "judge": users.get(c.judge_id, c.judge_id),
                "text": c.text,
                "at": iso(c.created_at),
            }
            for c, t in comment_rows
        ],
        columns=["team", "judge", "text", "at"],
    )
    flags = pd.DataFrame(
        notes.flags(session, event),
        columns=["at", "team", "submission_id", "kind", "note", "judge", "disqualified"],
    )
    out = {
        "final": final,
        "judge_scores": scores,
        "judges": judges,
        "comments": comments,
        "flags": flags,
    }
    for task in event.tasks:
        board = current_board(session, event, task, Board.PRIVATE)
        out[f"private_{task.slug}"[:31]] = pd.DataFrame(board["rows"])
    out["code_verification"] = pd.DataFrame(
        [
            {
                "task": v["task"],
                "team": v["team"],
                "submission_id": v["submission"]["id"],
                "code": v["filename"],
                "verdict": v["status"],
                "picked_score": v["picked_score"],
                "reproduced_score": v["reproduced_score"],
                "rows_differing": v["rows_differing"],
                "rows": v["rows"],
                "max_difference": v["max_difference"],
                "message": v["message"],
                "finished_at": v["finished_at"],
            }
            for v in verifications.listing(session, event)
        ],
        columns=[
            "task", "team", "submission_id", "code", "verdict", "picked_score",
            "reproduced_score", "rows_differing", "rows", "max_difference", "message",
            "finished_at",
        ],
    )  # fmt: skip
    out["projects"] = project_exports.projects_table(session, event)  # issue 17
    out["audit_log"] = pd.DataFrame(
        [
            {**e, "before": str(e["before"] or ""), "after": str(e["after"] or "")}
            for e in audit.audit_log(session, event)
        ]
    )
    return out


def to_xlsx(tables: dict[str, pd.DataFrame]) -> bytes:
    """Every table as a sheet; text is written as text, never as a formula (core.cells)."""
    book = Workbook(write_only=True)
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        sheet.append([xlsx_cell(sheet, column) for column in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(frame: pd.DataFrame) -> bytes:
    """The table as CSV with formula-like text quoted (core.cells); numbers as numbers."""
    cells = frame.astype(object).where(frame.notna(), "")  # NaN is an empty cell
    rows = [list(frame.columns), *cells.itertuples(index=False, name=None)]
    # UTF-8 with BOM: Korean Excel opens it with the names intact.
    return csv_text(rows).encode("utf-8-sig")

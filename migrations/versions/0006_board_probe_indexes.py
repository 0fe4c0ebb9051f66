"""indexes for a board's best submission and attempt count per team, probed once per team

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 21:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SCORED = sa.text("status = 'scored'")


def upgrade() -> None:
    for name, score in (
        ("ix_submissions_best_high", sa.text("public_score DESC")),
        ("ix_submissions_best_low", sa.text("public_score")),
    ):
        op.create_index(
            name,
            "submissions",
            ["task_id", "team_id", score, "created_at", "id"],
            postgresql_where=SCORED,
            sqlite_where=SCORED,
        )
    finals = sa.text("final IS true AND status = 'scored'")
    op.create_index(
        "ix_submissions_final_picks",
        "submissions",
        ["task_id", "team_id", "id"],
        postgresql_where=finals,
        sqlite_where=finals,
    )
    op.create_index(
        "ix_submissions_counted",
        "submissions",
        ["task_id", "team_id", "created_at"],
        postgresql_where=sa.text("status IN ('queued', 'scoring', 'scored', 'invalid')"),
    )


def downgrade() -> None:
    op.drop_index("ix_submissions_counted", table_name="submissions")
    op.drop_index("ix_submissions_final_picks", table_name="submissions")
    op.drop_index("ix_submissions_best_low", table_name="submissions")
    op.drop_index("ix_submissions_best_high", table_name="submissions")

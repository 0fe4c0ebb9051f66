"""what a team sees of its submissions: a number within the team and an opaque public id

The global submission id counts every team's uploads, so during the freeze the jumps between a
team's own ids told it how many files the others sent. Teams now see ``number`` (1, 2, 3, … per
team, in upload order) and address their submissions by ``public_id`` (16 random base-32
characters); the global id is for staff. Existing rows are numbered per team by creation time
(then id) and given fresh public ids.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 17:00:00
"""
from __future__ import annotations

import base64
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 1000


def _public_id() -> str:
    # The same shape as core.models.new_public_id (migrations never import live code).
    while True:
        candidate = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        if not candidate.isdigit():
            return candidate


def upgrade() -> None:
    op.add_column('submissions', sa.Column('number', sa.Integer(), nullable=True))
    # NOT NULL from the start, with an empty default for the rows already there (filled just
    # below): SQLite cannot add NOT NULL later without rebuilding the table, and a rebuild
    # loses the DESC of ix_submissions_best_high.
    op.add_column(
        'submissions',
        sa.Column('public_id', sa.String(length=16), nullable=False, server_default=''),
    )
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE submissions SET number = numbered.n FROM ("
            " SELECT id, row_number() OVER (PARTITION BY team_id ORDER BY created_at, id) AS n"
            " FROM submissions) AS numbered"
            " WHERE numbered.id = submissions.id"
        )
    )
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM submissions"))]
    for start in range(0, len(ids), BATCH):
        bind.execute(
            sa.text("UPDATE submissions SET public_id = :public_id WHERE id = :id"),
            [{"id": i, "public_id": _public_id()} for i in ids[start : start + BATCH]],
        )
    if bind.dialect.name != 'sqlite':  # (SQLite keeps the default: no rebuild, see above)
        op.alter_column('submissions', 'public_id', server_default=None)
    op.create_index('uq_submissions_public_id', 'submissions', ['public_id'], unique=True)
    op.create_index(
        'uq_submissions_team_number', 'submissions', ['team_id', 'number'], unique=True
    )


def downgrade() -> None:
    op.drop_index('uq_submissions_team_number', table_name='submissions')
    op.drop_index('uq_submissions_public_id', table_name='submissions')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('public_id')
        batch_op.drop_column('number')

"""each team's pick for the private board, kept in its standing (issue 14)

Rows already there have none (``picks_k`` NULL): the private board computes from the
submissions until ``migrations.upgrade`` has recounted the tasks' standings.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 07:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

PICKED = ('picks_k', 'picks_final', 'pick_id', 'pick_score', 'pick_at')


def upgrade() -> None:
    op.add_column('standings', sa.Column('picks_k', sa.Integer()))
    op.add_column(
        'standings',
        sa.Column('picks_final', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column('standings', sa.Column('pick_id', sa.Integer()))
    op.add_column('standings', sa.Column('pick_score', sa.Float()))
    op.add_column('standings', sa.Column('pick_at', sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table('standings') as batch:
        for name in reversed(PICKED):
            batch.drop_column(name)

"""each team's aggregates as of its event's freeze, for the frozen public board (issue 14)

Rows already there have none (``frozen_as_of`` NULL): a frozen board computes from the
submissions until ``migrations.upgrade`` has recounted the frozen events' standings.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 04:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

FROZEN = ('frozen_as_of', 'frozen_attempts', 'frozen_last_at', 'frozen_best_id',
          'frozen_best_score', 'frozen_best_at')


def upgrade() -> None:
    op.add_column('standings', sa.Column('frozen_as_of', sa.DateTime(timezone=True)))
    op.add_column(
        'standings',
        sa.Column('frozen_attempts', sa.Integer(), nullable=False, server_default='0'),
    )
    op.add_column('standings', sa.Column('frozen_last_at', sa.DateTime(timezone=True)))
    op.add_column('standings', sa.Column('frozen_best_id', sa.Integer()))
    op.add_column('standings', sa.Column('frozen_best_score', sa.Float()))
    op.add_column('standings', sa.Column('frozen_best_at', sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table('standings') as batch:
        for name in reversed(FROZEN):
            batch.drop_column(name)

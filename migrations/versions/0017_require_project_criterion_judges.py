"""the final ranking may require a project; a criterion names what it judges (issue 17)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Server defaults fill the rows already there (SQLite adds NOT NULL columns only so):
    # events keep ranking every team, criteria judge the team as a whole.
    op.add_column(
        'events',
        sa.Column('require_project', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        'criteria',
        sa.Column('judges', sa.String(length=20), nullable=False, server_default=''),
    )


def downgrade() -> None:
    with op.batch_alter_table('criteria') as batch:
        batch.drop_column('judges')
    with op.batch_alter_table('events') as batch:
        batch.drop_column('require_project')

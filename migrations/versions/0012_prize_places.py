"""how many places win a prize: the public board marks them (the prize zone)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 02:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A server default fills the rows already there (SQLite adds NOT NULL columns only so).
    op.add_column(
        'events',
        sa.Column('prize_places', sa.Integer(), nullable=False, server_default='3'),
    )


def downgrade() -> None:
    with op.batch_alter_table('events') as batch:
        batch.drop_column('prize_places')

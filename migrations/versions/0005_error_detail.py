"""participant-visible errors kept as a catalogue template and its parameters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_detail', sa.JSON(), nullable=True))
    with op.batch_alter_table('score_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_detail', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('score_history', schema=None) as batch_op:
        batch_op.drop_column('error_detail')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('error_detail')

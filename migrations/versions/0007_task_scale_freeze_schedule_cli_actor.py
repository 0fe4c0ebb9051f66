"""a task's prediction classes and rating scale, the event's scheduled freeze, CLI actors

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        # NULL for tasks made before: the upload check then asks for the id column only.
        batch_op.add_column(sa.Column('classes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('rating_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rating_max', sa.Integer(), nullable=True))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('freeze_scheduled_at', sa.DateTime(timezone=True), nullable=True)
        )
    # The freeze in force so far was also the schedule.
    op.execute("UPDATE events SET freeze_scheduled_at = freeze_at")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('actor_name', sa.String(length=200), server_default='', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('actor_name')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('freeze_scheduled_at')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('rating_max')
        batch_op.drop_column('rating_min')
        batch_op.drop_column('classes')

"""a submission's Idempotency-Key, unique per uploader, so a client's retry finds its upload

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows made before have none: NULLs never collide in a unique index.
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=200), nullable=True))
    op.create_index(
        'uq_submissions_user_idempotency_key',
        'submissions',
        ['user_id', 'idempotency_key'],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index('uq_submissions_user_idempotency_key', table_name='submissions')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('idempotency_key')

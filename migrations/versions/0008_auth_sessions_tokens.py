"""sessions revocable server-side; API tokens with a name, a scope and an expiry

``users.session_epoch`` is part of every session and remember cookie: raising it ends them.
Cookies made before this revision carry no epoch and are refused, so everyone signs in once
more after the upgrade. Tokens made before it keep working as ``full`` tokens for 30 days
from the upgrade (the default lifetime), so no script breaks the moment it is applied.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:00:00
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

EXISTING_TOKENS_LAST = timedelta(days=30)


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('name', sa.String(length=100), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('scope', sa.String(length=20), server_default='full', nullable=False)
        )
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    until = datetime.now(UTC) + EXISTING_TOKENS_LAST
    if op.get_bind().dialect.name == 'sqlite':
        until = until.replace(tzinfo=None)  # stored as naive UTC there (core.db.UTCDateTime)
    tokens = sa.table('api_tokens', sa.column('expires_at', sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=until))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column(
            'expires_at', existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scope')
        batch_op.drop_column('name')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')

"""awards (issue 17): prizes organizers define and give to teams

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'awards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('place', sa.Integer(), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=True),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('given_by', sa.Integer(), nullable=True),
        sa.Column('given_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['given_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_awards_event_id', 'awards', ['event_id'])
    op.create_index('ix_awards_team_id', 'awards', ['team_id'])


def downgrade() -> None:
    op.drop_index('ix_awards_team_id', table_name='awards')
    op.drop_index('ix_awards_event_id', table_name='awards')
    op.drop_table('awards')

"""winners' code verification: code attached to final picks, its verdicts; the event's code
deadline and tolerance

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 05:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events') as batch:
        batch.add_column(sa.Column('code_deadline_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column('verify_tolerance', sa.Float(), nullable=False, server_default='1e-06')
        )
    op.create_table(
        'code_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=300), nullable=False),
        sa.Column('bundle_path', sa.String(length=500), nullable=False),
        sa.Column('bundle_sha256', sa.String(length=64), nullable=False),
        sa.Column('attached_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attached_by', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('picked_score', sa.Float(), nullable=True),
        sa.Column('reproduced_score', sa.Float(), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=True),
        sa.Column('rows_differing', sa.Integer(), nullable=True),
        sa.Column('max_difference', sa.Float(), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('message_detail', sa.JSON(), nullable=True),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['attached_by'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['requested_by'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['run_id'], ['code_runs.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('submission_id'),
    )
    op.create_index('ix_code_checks_task_id', 'code_checks', ['task_id'])


def downgrade() -> None:
    op.drop_index('ix_code_checks_task_id', table_name='code_checks')
    op.drop_table('code_checks')
    with op.batch_alter_table('events') as batch:
        batch.drop_column('verify_tolerance')
        batch.drop_column('code_deadline_at')

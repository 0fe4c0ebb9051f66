"""code tasks: a task's kind, hidden inputs and limits; a submission's program output; the runs

A code task's teams upload a program that runs in the sandbox on hidden inputs (issue 16);
``running`` joins the statuses a board counts, so the attempts index is made again with it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 05:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

COUNTED_BEFORE = "status IN ('queued', 'scoring', 'scored', 'invalid')"
COUNTED_NOW = "status IN ('queued', 'running', 'scoring', 'scored', 'invalid')"


def upgrade() -> None:
    with op.batch_alter_table('tasks') as batch:
        batch.add_column(
            sa.Column('kind', sa.String(length=16), nullable=False, server_default='predictions')
        )
        batch.add_column(sa.Column('inputs_path', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('inputs_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('sample_inputs_path', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('time_limit_s', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('memory_mb', sa.Integer(), nullable=True))
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('output_path', sa.String(length=500), nullable=True))
    _counted_index(COUNTED_NOW)
    op.create_table(
        'code_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=16), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('submission_id', sa.Integer(), nullable=True),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('filename', sa.String(length=300), nullable=False),
        sa.Column('bundle_path', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('exit_code', sa.Integer(), nullable=True),
        sa.Column('signal', sa.Integer(), nullable=True),
        sa.Column('elapsed_s', sa.Float(), nullable=True),
        sa.Column('cpu_s', sa.Float(), nullable=True),
        sa.Column('peak_memory_bytes', sa.BigInteger(), nullable=True),
        sa.Column('log', sa.Text(), nullable=False),
        sa.Column('log_truncated', sa.Boolean(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('message_detail', sa.JSON(), nullable=True),
        sa.Column('staff_error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('submission_id'),
    )
    op.create_index(
        'ix_code_runs_team_task', 'code_runs', ['team_id', 'task_id', 'created_at']
    )
    op.create_index('uq_code_runs_public_id', 'code_runs', ['public_id'], unique=True)


def _counted_index(where: str) -> None:
    op.drop_index('ix_submissions_counted', table_name='submissions')
    op.create_index(
        'ix_submissions_counted',
        'submissions',
        ['task_id', 'team_id', 'created_at'],
        postgresql_where=sa.text(where),
    )


def downgrade() -> None:
    op.drop_index('uq_code_runs_public_id', table_name='code_runs')
    op.drop_index('ix_code_runs_team_task', table_name='code_runs')
    op.drop_table('code_runs')
    _counted_index(COUNTED_BEFORE)
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('output_path')
    with op.batch_alter_table('tasks') as batch:
        for column in (
            'memory_mb', 'time_limit_s', 'sample_inputs_path', 'inputs_name', 'inputs_path',
            'kind',
        ):
            batch.drop_column(column)

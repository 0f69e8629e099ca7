"""records: index attempts by grading time, so the latest grading is found without a scan

Revision ID: 0012_records
Revises: 0011_jobs
"""
from alembic import op


revision = '0012_records'
down_revision = '0011_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_lms_quiz_attempts_graded_at', 'lms_quiz_attempts', ['graded_at'])


def downgrade():
    op.drop_index('ix_lms_quiz_attempts_graded_at', table_name='lms_quiz_attempts')

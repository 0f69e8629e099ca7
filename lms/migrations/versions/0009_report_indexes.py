"""report indexes: count right answers per question and certificates by expiry from indexes alone

Revision ID: 0009
Revises: 0008
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_lms_attempt_responses_marks', 'lms_attempt_responses',
                    ['attempt_id', 'question_key', 'fraction'])
    op.create_index('ix_lms_certificates_course_expiry', 'lms_certificates', ['course_id', 'expires_at'])


def downgrade():
    op.drop_index('ix_lms_certificates_course_expiry', table_name='lms_certificates')
    op.drop_index('ix_lms_attempt_responses_marks', table_name='lms_attempt_responses')

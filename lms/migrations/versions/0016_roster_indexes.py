"""roster indexes: an enrolment's certificate state read from an index, not from behind its PDF;
the departments and cohorts there are, from an index

Revision ID: 0016_roster_indexes
Revises: 0013_authoring
"""
from alembic import op


revision = '0016_roster_indexes'
down_revision = '0013_authoring'
branch_labels = None
depends_on = None

COLUMNS = ['enrolment_id', 'superseded_by_id', 'revoked_at', 'expires_at', 'issued_at', 'course_id', 'serial']


def upgrade():
    op.create_index('ix_lms_certificates_enrolment_state', 'lms_certificates', COLUMNS)
    op.create_index('ix_lms_users_department', 'lms_users', ['department'])
    op.create_index('ix_lms_users_cohort', 'lms_users', ['cohort'])


def downgrade():
    op.drop_index('ix_lms_users_cohort', table_name='lms_users')
    op.drop_index('ix_lms_users_department', table_name='lms_users')
    op.drop_index('ix_lms_certificates_enrolment_state', table_name='lms_certificates')

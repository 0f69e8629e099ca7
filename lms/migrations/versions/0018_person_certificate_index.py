"""person certificate index: a person's newest certificate of a course, of any cycle, found
from an index alone (the roster shows the certificate that certifies the person, which after a
refresher belongs to the earlier cycle)

Revision ID: 0018_person_certificate_index
Revises: 0017_attempt_marks
"""
from alembic import op


revision = '0018_person_certificate_index'
down_revision = '0017_attempt_marks'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_certificates', schema=None) as batch_op:
        batch_op.create_index('ix_lms_certificates_person_current',
                              ['user_id', 'course_id', 'superseded_by_id', 'issued_at', 'enrolment_id',
                               'revoked_at', 'expires_at', 'serial'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('lms_certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_certificates_person_current')

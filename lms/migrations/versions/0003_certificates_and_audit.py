"""certificates and audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:57:42.386597
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['lms_users.id'], name=op.f('fk_lms_audit_entries_actor_id_lms_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_audit_entries')),
    sa.UniqueConstraint('hash', name=op.f('uq_lms_audit_entries_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_lms_audit_entries_prev_hash'))
    )
    with op.batch_alter_table('lms_audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_audit_entries_action'), ['action'], unique=False)

    op.create_table('lms_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('course_versions', sa.JSON(), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('issued_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['lms_courses.id'], name=op.f('fk_lms_certificates_course_id_lms_courses')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolments.id'], name=op.f('fk_lms_certificates_enrolment_id_lms_enrolments')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['lms_users.id'], name=op.f('fk_lms_certificates_revoked_by_id_lms_users')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['lms_certificates.id'], name=op.f('fk_lms_certificates_superseded_by_id_lms_certificates')),
    sa.ForeignKeyConstraint(['user_id'], ['lms_users.id'], name=op.f('fk_lms_certificates_user_id_lms_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_certificates')),
    sa.UniqueConstraint('serial', name=op.f('uq_lms_certificates_serial')),
    sa.UniqueConstraint('sha256', name=op.f('uq_lms_certificates_sha256'))
    )
    with op.batch_alter_table('lms_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_certificates_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_certificates_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_certificates_user_id'), ['user_id'], unique=False)




def downgrade():
    with op.batch_alter_table('lms_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_certificates_user_id'))
        batch_op.drop_index(batch_op.f('ix_lms_certificates_enrolment_id'))
        batch_op.drop_index(batch_op.f('ix_lms_certificates_course_id'))

    op.drop_table('lms_certificates')
    with op.batch_alter_table('lms_audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_audit_entries_action'))

    op.drop_table('lms_audit_entries')


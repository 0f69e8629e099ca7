"""jobs: one current certificate per enrolment; HR's exports made by the worker

Revision ID: 0011_jobs
Revises: 0010_signin
"""
import sqlalchemy as sa
from alembic import op

import lms.db


revision = '0011_jobs'
down_revision = '0010_signin'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['lms_courses.id'], name=op.f('fk_lms_exports_course_id_lms_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['lms_users.id'], name=op.f('fk_lms_exports_requested_by_id_lms_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_exports')),
    sa.UniqueConstraint('token', name=op.f('uq_lms_exports_token'))
    )
    with op.batch_alter_table('lms_exports') as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_exports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_exports_requested_by_id'), ['requested_by_id'], unique=False)
    op.create_index('uq_lms_certificates_current', 'lms_certificates', ['enrolment_id'], unique=True,
                    sqlite_where=sa.text('superseded_at IS NULL'),
                    postgresql_where=sa.text('superseded_at IS NULL'))


def downgrade():
    op.drop_table('lms_exports')
    op.drop_index('uq_lms_certificates_current', table_name='lms_certificates')

"""notices: what happened to a trainee's training, shown on the dashboard and emailed

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dismissed_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolments.id'], name=op.f('fk_lms_notices_enrolment_id_lms_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lms_users.id'], name=op.f('fk_lms_notices_user_id_lms_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_notices')),
    sa.UniqueConstraint('key', name=op.f('uq_lms_notices_key'))
    )
    with op.batch_alter_table('lms_notices') as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_notices_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_notices_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('lms_notices')

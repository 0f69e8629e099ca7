"""sign-in: a session version per user (ending their sessions), throttle counters in the database

Revision ID: 0010_signin
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0010_signin'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
    op.create_table('lms_throttle_counters',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_lms_throttle_counters'))
    )
    with op.batch_alter_table('lms_throttle_counters') as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_throttle_counters_expires_at'), ['expires_at'], unique=False)


def downgrade():
    op.drop_table('lms_throttle_counters')
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.drop_column('session_version')

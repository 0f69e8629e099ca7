"""engaged reading time: when the end of a module was reached

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_module_progress') as batch_op:
        batch_op.add_column(sa.Column('reached_end_at', lms.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE lms_module_progress SET reached_end_at = completed_at "
               "WHERE completed_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('lms_module_progress') as batch_op:
        batch_op.drop_column('reached_end_at')

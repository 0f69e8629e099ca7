"""user cohort and hire date

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:01:08.035107
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cohort', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('hire_date', sa.Date(), nullable=True))




def downgrade():
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.drop_column('hire_date')
        batch_op.drop_column('cohort')



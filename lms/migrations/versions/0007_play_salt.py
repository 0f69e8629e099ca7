"""play salt: each call simulation play shows its choices in its own order, under opaque tokens

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_scenario_plays') as batch_op:
        batch_op.add_column(sa.Column('salt', sa.String(length=64), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('lms_scenario_plays') as batch_op:
        batch_op.drop_column('salt')

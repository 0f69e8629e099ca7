"""reminders

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 06:09:09.190428
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('sent_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_reminders_sent')),
    sa.UniqueConstraint('kind', 'subject_id', 'step', name=op.f('uq_lms_reminders_sent_kind_subject_id_step'))
    )


def downgrade():
    op.drop_table('lms_reminders_sent')

"""authoring: course settings revisions, drafts, and who published and approved each revision

Revision ID: 0013_authoring
Revises: 0012_records
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0013_authoring'
down_revision = '0012_records'
branch_labels = None
depends_on = None

REVISION_TABLES = ('lms_module_revisions', 'lms_activity_revisions')


def upgrade():
    op.create_table('lms_course_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('approved_by', sa.String(length=120), nullable=True),
    sa.Column('files', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['lms_courses.id'], name=op.f('fk_lms_course_revisions_course_id_lms_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_course_revisions')),
    sa.UniqueConstraint('course_id', 'number', name=op.f('uq_lms_course_revisions_course_id_number'))
    )
    with op.batch_alter_table('lms_course_revisions') as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_course_revisions_course_id'), ['course_id'], unique=False)
    op.create_table('lms_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_slug', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('slug', sa.String(length=255), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('base_number', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=120), nullable=True),
    sa.Column('approved_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_drafts')),
    sa.UniqueConstraint('course_slug', 'kind', 'slug', name=op.f('uq_lms_drafts_course_slug_kind_slug'))
    )
    with op.batch_alter_table('lms_drafts') as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_drafts_course_slug'), ['course_slug'], unique=False)
    for table in REVISION_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('message', sa.Text(), server_default='', nullable=False))
            batch_op.add_column(sa.Column('approved_by', sa.String(length=120), nullable=True))
            batch_op.add_column(sa.Column('files', sa.JSON(), nullable=True))


def downgrade():
    for table in REVISION_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('files')
            batch_op.drop_column('approved_by')
            batch_op.drop_column('message')
    op.drop_table('lms_drafts')
    op.drop_table('lms_course_revisions')

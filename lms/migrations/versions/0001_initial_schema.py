"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 05:10:33.939619
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('hours', sa.Double(), nullable=False),
    sa.Column('is_sequential', sa.Boolean(), nullable=False),
    sa.Column('enrol_all_trainees', sa.Boolean(), nullable=False),
    sa.Column('due_days', sa.Integer(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_courses')),
    sa.UniqueConstraint('slug', name=op.f('uq_lms_courses_slug'))
    )
    op.create_table('lms_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('employee_no', sa.String(length=40), nullable=True),
    sa.Column('department', sa.String(length=120), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('external_id', sa.String(length=120), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_users')),
    sa.UniqueConstraint('employee_no', name=op.f('uq_lms_users_employee_no')),
    sa.UniqueConstraint('external_id', name=op.f('uq_lms_users_external_id')),
    sa.UniqueConstraint('username', name=op.f('uq_lms_users_username'))
    )
    op.create_table('lms_course_assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('mime_type', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('updated_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_courses.id'], name=op.f('fk_lms_course_assets_course_id_lms_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_course_assets')),
    sa.UniqueConstraint('course_id', 'path', name=op.f('uq_lms_course_assets_course_id_path'))
    )
    with op.batch_alter_table('lms_course_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_course_assets_course_id'), ['course_id'], unique=False)

    op.create_table('lms_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('enrolled_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_courses.id'], name=op.f('fk_lms_enrolments_course_id_lms_courses')),
    sa.ForeignKeyConstraint(['user_id'], ['lms_users.id'], name=op.f('fk_lms_enrolments_user_id_lms_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_enrolments')),
    sa.UniqueConstraint('user_id', 'course_id', 'cycle', name=op.f('uq_lms_enrolments_user_id_course_id_cycle'))
    )
    with op.batch_alter_table('lms_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_enrolments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_enrolments_user_id'), ['user_id'], unique=False)

    op.create_table('lms_modules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('current_revision_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['lms_courses.id'], name=op.f('fk_lms_modules_course_id_lms_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_modules')),
    sa.UniqueConstraint('course_id', 'slug', name=op.f('uq_lms_modules_course_id_slug'))
    )
    with op.batch_alter_table('lms_modules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_modules_course_id'), ['course_id'], unique=False)

    op.create_table('lms_user_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['lms_users.id'], name=op.f('fk_lms_user_roles_user_id_lms_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_user_roles')),
    sa.UniqueConstraint('user_id', 'role', name=op.f('uq_lms_user_roles_user_id_role'))
    )
    with op.batch_alter_table('lms_user_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_user_roles_user_id'), ['user_id'], unique=False)

    op.create_table('lms_module_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('objectives', sa.JSON(), nullable=False),
    sa.Column('activities', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['lms_modules.id'], name=op.f('fk_lms_module_revisions_module_id_lms_modules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_module_revisions')),
    sa.UniqueConstraint('module_id', 'number', name=op.f('uq_lms_module_revisions_module_id_number'))
    )
    with op.batch_alter_table('lms_module_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_module_revisions_module_id'), ['module_id'], unique=False)

    # Modules and revisions refer to each other: this key can only follow both tables.
    with op.batch_alter_table('lms_modules', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_lms_modules_current_revision_id_lms_module_revisions'), 'lms_module_revisions', ['current_revision_id'], ['id'])

    op.create_table('lms_module_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('first_opened_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds_spent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolments.id'], name=op.f('fk_lms_module_progress_enrolment_id_lms_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['lms_modules.id'], name=op.f('fk_lms_module_progress_module_id_lms_modules')),
    sa.ForeignKeyConstraint(['revision_id'], ['lms_module_revisions.id'], name=op.f('fk_lms_module_progress_revision_id_lms_module_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_module_progress')),
    sa.UniqueConstraint('enrolment_id', 'module_id', name=op.f('uq_lms_module_progress_enrolment_id_module_id'))
    )
    with op.batch_alter_table('lms_module_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_module_progress_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_module_progress_module_id'), ['module_id'], unique=False)



def downgrade():
    with op.batch_alter_table('lms_modules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lms_modules_current_revision_id_lms_module_revisions'), type_='foreignkey')

    with op.batch_alter_table('lms_module_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_module_progress_module_id'))
        batch_op.drop_index(batch_op.f('ix_lms_module_progress_enrolment_id'))

    op.drop_table('lms_module_progress')
    with op.batch_alter_table('lms_module_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_module_revisions_module_id'))

    op.drop_table('lms_module_revisions')
    with op.batch_alter_table('lms_user_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_user_roles_user_id'))

    op.drop_table('lms_user_roles')
    with op.batch_alter_table('lms_modules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_modules_course_id'))

    op.drop_table('lms_modules')
    with op.batch_alter_table('lms_enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_enrolments_user_id'))
        batch_op.drop_index(batch_op.f('ix_lms_enrolments_course_id'))

    op.drop_table('lms_enrolments')
    with op.batch_alter_table('lms_course_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_course_assets_course_id'))

    op.drop_table('lms_course_assets')
    op.drop_table('lms_users')
    op.drop_table('lms_courses')

"""assessments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:33:48.330734
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('current_revision_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['lms_courses.id'], name=op.f('fk_lms_activities_course_id_lms_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_activities')),
    sa.UniqueConstraint('course_id', 'slug', name=op.f('uq_lms_activities_course_id_slug'))
    )
    with op.batch_alter_table('lms_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_activities_course_id'), ['course_id'], unique=False)

    op.create_table('lms_activity_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['lms_activities.id'], name=op.f('fk_lms_activity_revisions_activity_id_lms_activities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_activity_revisions')),
    sa.UniqueConstraint('activity_id', 'number', name=op.f('uq_lms_activity_revisions_activity_id_number'))
    )
    with op.batch_alter_table('lms_activity_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_activity_revisions_activity_id'), ['activity_id'], unique=False)

    # Activities and their revisions refer to each other: this key can only follow both tables.
    with op.batch_alter_table('lms_activities', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_lms_activities_current_revision_id_lms_activity_revisions'), 'lms_activity_revisions', ['current_revision_id'], ['id'])

    op.create_table('lms_training_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('updated_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolments.id'], name=op.f('fk_lms_training_summaries_enrolment_id_lms_enrolments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_training_summaries')),
    sa.UniqueConstraint('enrolment_id', name=op.f('uq_lms_training_summaries_enrolment_id'))
    )
    op.create_table('lms_quiz_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('open_key', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.Column('started_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('graded_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('is_passed', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['lms_activities.id'], name=op.f('fk_lms_quiz_attempts_activity_id_lms_activities')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolments.id'], name=op.f('fk_lms_quiz_attempts_enrolment_id_lms_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['lms_activity_revisions.id'], name=op.f('fk_lms_quiz_attempts_revision_id_lms_activity_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_quiz_attempts')),
    sa.UniqueConstraint('enrolment_id', 'activity_id', 'number', name=op.f('uq_lms_quiz_attempts_enrolment_id_activity_id_number')),
    sa.UniqueConstraint('enrolment_id', 'activity_id', 'open_key', name=op.f('uq_lms_quiz_attempts_enrolment_id_activity_id_open_key'))
    )
    with op.batch_alter_table('lms_quiz_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_quiz_attempts_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_quiz_attempts_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('lms_scenario_plays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=80), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('started_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('is_passed', sa.Boolean(), nullable=True),
    sa.Column('failed_critically', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['lms_activities.id'], name=op.f('fk_lms_scenario_plays_activity_id_lms_activities')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolments.id'], name=op.f('fk_lms_scenario_plays_enrolment_id_lms_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['lms_activity_revisions.id'], name=op.f('fk_lms_scenario_plays_revision_id_lms_activity_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_scenario_plays'))
    )
    with op.batch_alter_table('lms_scenario_plays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_scenario_plays_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_scenario_plays_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('lms_summary_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['lms_users.id'], name=op.f('fk_lms_summary_events_actor_id_lms_users')),
    sa.ForeignKeyConstraint(['summary_id'], ['lms_training_summaries.id'], name=op.f('fk_lms_summary_events_summary_id_lms_training_summaries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_summary_events'))
    )
    with op.batch_alter_table('lms_summary_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_summary_events_summary_id'), ['summary_id'], unique=False)

    op.create_table('lms_attempt_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=20), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('saved_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fraction', sa.Double(), nullable=True),
    sa.Column('grader_id', sa.Integer(), nullable=True),
    sa.Column('grader_comment', sa.Text(), nullable=True),
    sa.Column('graded_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['lms_quiz_attempts.id'], name=op.f('fk_lms_attempt_responses_attempt_id_lms_quiz_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grader_id'], ['lms_users.id'], name=op.f('fk_lms_attempt_responses_grader_id_lms_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_attempt_responses')),
    sa.UniqueConstraint('attempt_id', 'question_key', name=op.f('uq_lms_attempt_responses_attempt_id_question_key'))
    )
    with op.batch_alter_table('lms_attempt_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_attempt_responses_attempt_id'), ['attempt_id'], unique=False)

    op.create_table('lms_scenario_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('play_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=80), nullable=False),
    sa.Column('choice_index', sa.Integer(), nullable=False),
    sa.Column('choice_text', sa.Text(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('violation_rule', sa.String(length=80), nullable=True),
    sa.Column('violation_severity', sa.String(length=20), nullable=True),
    sa.Column('chosen_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['play_id'], ['lms_scenario_plays.id'], name=op.f('fk_lms_scenario_choices_play_id_lms_scenario_plays'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_scenario_choices')),
    sa.UniqueConstraint('play_id', 'sequence', name=op.f('uq_lms_scenario_choices_play_id_sequence'))
    )
    with op.batch_alter_table('lms_scenario_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_scenario_choices_play_id'), ['play_id'], unique=False)

    with op.batch_alter_table('lms_courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.JSON(), nullable=False, server_default='{}'))




def downgrade():
    with op.batch_alter_table('lms_activities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lms_activities_current_revision_id_lms_activity_revisions'), type_='foreignkey')
    with op.batch_alter_table('lms_courses', schema=None) as batch_op:
        batch_op.drop_column('settings')

    with op.batch_alter_table('lms_scenario_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_scenario_choices_play_id'))

    op.drop_table('lms_scenario_choices')
    with op.batch_alter_table('lms_attempt_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_attempt_responses_attempt_id'))

    op.drop_table('lms_attempt_responses')
    with op.batch_alter_table('lms_summary_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_summary_events_summary_id'))

    op.drop_table('lms_summary_events')
    with op.batch_alter_table('lms_scenario_plays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_scenario_plays_enrolment_id'))
        batch_op.drop_index(batch_op.f('ix_lms_scenario_plays_activity_id'))

    op.drop_table('lms_scenario_plays')
    with op.batch_alter_table('lms_quiz_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_quiz_attempts_enrolment_id'))
        batch_op.drop_index(batch_op.f('ix_lms_quiz_attempts_activity_id'))

    op.drop_table('lms_quiz_attempts')
    op.drop_table('lms_training_summaries')
    with op.batch_alter_table('lms_activity_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_activity_revisions_activity_id'))

    op.drop_table('lms_activity_revisions')
    with op.batch_alter_table('lms_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_activities_course_id'))

    op.drop_table('lms_activities')


"""attempt marks: each graded attempt's answers, right or wrong, on the attempt
(``lms_quiz_attempts.marks``), so that the cohort report counts its hardest questions from
attempts rather than from every answer; filled in for the attempts graded so far; an index
that covers the report's scores and these answers

Revision ID: 0017_attempt_marks
Revises: 0016_roster_indexes
"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa

from lms.assessments.grading import marks_text


revision = '0017_attempt_marks'
down_revision = '0016_roster_indexes'
branch_labels = None
depends_on = None

BATCH = 1000
RESULTS = ['enrolment_id', 'state', 'activity_id', 'revision_id', 'score', 'submitted_at', 'marks']


def upgrade():
    with op.batch_alter_table('lms_quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marks', sa.Text(), nullable=True))

    attempts = sa.table('lms_quiz_attempts', sa.column('id', sa.Integer), sa.column('state', sa.String),
                        sa.column('marks', sa.Text))
    responses = sa.table('lms_attempt_responses', sa.column('attempt_id', sa.Integer),
                         sa.column('question_key', sa.String), sa.column('fraction', sa.Float))
    bind = op.get_bind()
    graded = set(bind.scalars(sa.select(attempts.c.id).where(attempts.c.state == 'graded')))
    answered = defaultdict(list)
    for attempt_id, key, fraction in bind.execute(sa.select(
            responses.c.attempt_id, responses.c.question_key, responses.c.fraction)
            .where(responses.c.fraction.is_not(None))):
        if attempt_id in graded:
            answered[attempt_id].append((key, fraction))
    rows = [{'attempt': attempt_id, 'marks': marks_text(marks)} for attempt_id, marks in answered.items()]
    update = (attempts.update().where(attempts.c.id == sa.bindparam('attempt'))
              .values(marks=sa.bindparam('marks')))
    for start in range(0, len(rows), BATCH):
        bind.execute(update, rows[start:start + BATCH])
    op.create_index('ix_lms_quiz_attempts_results', 'lms_quiz_attempts', RESULTS)


def downgrade():
    op.drop_index('ix_lms_quiz_attempts_results', table_name='lms_quiz_attempts')
    with op.batch_alter_table('lms_quiz_attempts', schema=None) as batch_op:
        batch_op.drop_column('marks')

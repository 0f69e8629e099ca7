"""What waits for a trainer: training summaries to review and written answers to grade, the
oldest first. Each list is one query of plain columns with its total, however long it grows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..accounts.models import User
from ..db import session
from ..learning.models import Course, Enrolment
from .models import AWAITING_GRADING, SUBMITTED, ActivityRevision, QuizAttempt, TrainingSummary

#: The oldest items of each list the queue page shows; the rest come up as these are done.
SHOWN = 50


@dataclass(frozen=True)
class Waiting:
    rows: list[Any]  # the oldest ``SHOWN``, each with the columns its list shows
    total: int  # all that wait


def _waiting(statement, limit: int) -> Waiting:
    rows = session.execute(statement.add_columns(func.count().over().label("total")).limit(limit)).all()
    return Waiting(rows, rows[0].total if rows else 0)


def summaries_to_review(limit: int = SHOWN) -> Waiting:
    return _waiting(
        select(TrainingSummary.id, TrainingSummary.submitted_at, User.display_name, User.employee_no,
               Course.title.label("course_title"))
        .join(Enrolment, Enrolment.id == TrainingSummary.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(TrainingSummary.status == SUBMITTED)
        .order_by(TrainingSummary.submitted_at, TrainingSummary.id), limit)


def answers_to_grade(limit: int = SHOWN) -> Waiting:
    return _waiting(
        select(QuizAttempt.id, QuizAttempt.number, QuizAttempt.submitted_at, User.display_name,
               ActivityRevision.title)
        .join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .join(ActivityRevision, ActivityRevision.id == QuizAttempt.revision_id)
        .where(QuizAttempt.state == AWAITING_GRADING)
        .order_by(QuizAttempt.submitted_at, QuizAttempt.id), limit)

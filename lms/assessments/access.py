"""Loading what a URL names, and who may see it: 404 for unknown, 403 for someone else's."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ..accounts.identity import load_current_user
from ..accounts.models import TRAINER
from ..db import session
from ..learning import services as learning
from ..learning.models import Course, Enrolment
from .models import Activity, QuizAttempt, ScenarioPlay, TrainingSummary


def load_enrolled_course(course_slug: str) -> tuple[Course, Enrolment]:
    """The course and the current user's enrolment in it (403 without one)."""
    course = learning.get_course(course_slug) or abort(404)
    enrolment = learning.current_enrolment(load_current_user(), course)
    if enrolment is None:
        abort(403)
    return course, enrolment


def load_activity(course: Course, slug: str, kinds: tuple[str, ...]) -> Activity:
    found = session.scalar(select(Activity).where(Activity.course_id == course.id,
                                                  Activity.slug == slug,
                                                  Activity.is_archived.is_(False)))
    if found is None or found.kind not in kinds or found.current_revision is None:
        abort(404)
    return found


def own(record: QuizAttempt | ScenarioPlay | TrainingSummary | None):
    """The record when it belongs to the current user; 404 when missing, 403 when not theirs."""
    if record is None:
        abort(404)
    if record.enrolment.user_id != load_current_user().id:
        abort(403)
    return record


def reviewable(record):
    """Trainers (and admins) may open any trainee's record for review."""
    if record is None:
        abort(404)
    if not load_current_user().has_role(TRAINER):
        abort(403)
    return record

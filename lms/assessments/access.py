"""Loading what a URL names, and who may see it: 404 for unknown and for someone else's (so a
status code never tells which ids exist), 403 for what the user's role or progress forbids."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden

from ..accounts.identity import load_current_user
from ..accounts.models import TRAINER
from ..db import locked, session
from ..i18n import gettext as _
from ..learning import services as learning
from ..learning.models import Course, Enrolment
from .models import Activity, QuizAttempt, ScenarioPlay, TrainingSummary


def load_enrolled_course(course_slug: str) -> tuple[Course, Enrolment]:
    """The course and the current user's enrolment in it (403 without one)."""
    course, enrolment = learning.course_and_enrolment(course_slug, load_current_user())
    if course is None:
        abort(404)
    if enrolment is None:
        abort(403)
    return course, enrolment


class ActivityLocked(Forbidden):
    """403 for an activity the course has not opened yet; ``reason`` says what to do first."""

    def __init__(self, reason: str):
        super().__init__(description=reason)
        self.reason = reason


def require_open(course: Course, enrolment: Enrolment, slug: str) -> None:
    """403 with the reason unless activity ``slug`` is open for ``enrolment`` now."""
    if not course.is_sequential:
        return  # nothing is held back (activity_blocked_by): no need to read where the trainee is
    blocker = learning.activity_blocked_by(
        learning.course_status(course, enrolment, with_activities=False), slug)
    if blocker is not None:
        raise ActivityLocked(_("Complete the module “%(title)s” first: this course is taken in order.",
                               title=blocker.current_revision.title if blocker.current_revision
                               else blocker.slug))


def load_activity(course: Course, slug: str, kinds: tuple[str, ...],
                  enrolment: Enrolment | None = None) -> Activity:
    """The activity (404 unknown), and with ``enrolment``, 403 while the course keeps it locked."""
    found = session.scalar(select(Activity).where(Activity.course_id == course.id,
                                                  Activity.slug == slug,
                                                  Activity.is_archived.is_(False)))
    if found is None or found.kind not in kinds or found.current_revision is None:
        abort(404)
    if enrolment is not None:
        require_open(course, enrolment, found.slug)
    return found


def fetch(model: type[QuizAttempt] | type[ScenarioPlay], ident: int, *, lock: bool = False):
    """An attempt or play with its enrolment, activity and course, in one statement (every page
    of it asks who owns it and whether its activity is open); with ``lock``, read afresh and
    locked as :func:`lms.db.locked` does."""
    options = (joinedload(model.enrolment, innerjoin=True),
               joinedload(model.activity, innerjoin=True).joinedload(Activity.course, innerjoin=True))
    return locked(model, ident, options=options) if lock else session.get(model, ident, options=options)


class CycleClosed(Forbidden):
    """403 for an attempt or play of an earlier cycle of the course: a refresher or a new
    enrolment archived it, and it is kept as it was."""

    def __init__(self):
        self.reason = _("This belongs to an earlier cycle of the course, which is closed and kept as "
                        "it was: carry on in the current one.")
        super().__init__(description=self.reason)


def own_open(record: QuizAttempt | ScenarioPlay | None):
    """The current user's attempt or play (404 as ``own``), to answer or play on: 403 while its
    activity is locked, or once its cycle of the course is closed."""
    record = own(record)
    if record.enrolment.is_archived:
        raise CycleClosed()
    require_open(record.activity.course, record.enrolment, record.activity.slug)
    return record


def own(record: QuizAttempt | ScenarioPlay | TrainingSummary | None):
    """The record when it belongs to the current user; 404 when missing or not theirs."""
    if record is None or record.enrolment.user_id != load_current_user().id:
        abort(404)
    return record


def reviewable(record):
    """Trainers (and admins) may open any trainee's record for review."""
    if record is None:
        abort(404)
    if not load_current_user().has_role(TRAINER):
        abort(403)
    return record

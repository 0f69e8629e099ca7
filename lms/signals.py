"""Signals between domains, so each can react to the others without importing them."""

from blinker import Namespace

signals = Namespace()

#: Sent with a user after their roles change (e.g. to enrol a new trainee).
roles_changed = signals.signal("lms.roles-changed")
#: Sent with an enrolment when something that may complete its course happened.
progress_changed = signals.signal("lms.progress-changed")
#: Sent with a new enrolment (any source) once it is flushed.
enrolled = signals.signal("lms.enrolled")
#: Sent with an open enrolment whose due date changed, as ``old=`` and ``new=`` (aware datetimes
#: or None). Whoever changes a due date sends it: assigning a course, extending one person's date.
due_date_changed = signals.signal("lms.due-date-changed")
#: Sent with a training summary a trainer approved or returned, and ``event=`` the review's
#: SummaryEvent.
summary_reviewed = signals.signal("lms.summary-reviewed")
#: Sent with a quiz attempt whose written answers a trainer graded, once it has its score.
attempt_graded_by_hand = signals.signal("lms.attempt-graded-by-hand")

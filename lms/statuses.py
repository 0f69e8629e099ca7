"""Where a trainee stands: the one set of status names every page, export, report and the demo use.

A course (enrolment) is not started, in progress, completed or overdue (the HR roster); a module
is also locked while a sequential course holds it back; an activity is also waiting (for a
trainer) or passed / not passed. Each name is defined here only.
"""

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
OVERDUE = "overdue"
LOCKED = "locked"
WAITING = "waiting"
PASSED = "passed"
NOT_PASSED = "not_passed"


def enrolment_status(*, completed: bool, revoked: bool, overdue: bool, started: bool) -> str:
    """Where a trainee stands in a course, as every page, export and report says it: completed
    once the completion is recorded, unless its certificate was revoked (the holder is then in
    progress, or overdue by the due date, until certified again; an expired certificate still
    counts); overdue past the due date; in progress once a module is opened or an activity begun."""
    if completed and not revoked:
        return COMPLETED
    if overdue:
        return OVERDUE
    return IN_PROGRESS if started or completed else NOT_STARTED

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

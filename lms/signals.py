"""Signals between domains, so each can react to the others without importing them."""

from blinker import Namespace

signals = Namespace()

#: Sent with a user after their roles change (e.g. to enrol a new trainee).
roles_changed = signals.signal("lms.roles-changed")
#: Sent with an enrolment when something that may complete its course happened.
progress_changed = signals.signal("lms.progress-changed")

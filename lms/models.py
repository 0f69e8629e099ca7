"""Every LMS model, imported so the metadata is complete (migrations, tests)."""

from .accounts.models import User, UserRole
from .assessments.models import (
    Activity,
    ActivityRevision,
    AttemptResponse,
    QuizAttempt,
    ScenarioChoice,
    ScenarioPlay,
    SummaryEvent,
    TrainingSummary,
)
from .audit.models import AuditEntry
from .authoring.models import CourseRevision, Draft
from .certificates.models import Certificate
from .learning.models import Course, CourseAsset, Enrolment, Module, ModuleProgress, ModuleRevision
from .notices.models import Notice
from .reminders.models import ReminderSent
from .reports.models import Export
from .throttle import ThrottleCounter

__all__ = [
    "Activity", "ActivityRevision", "AttemptResponse", "AuditEntry", "Certificate", "Course",
    "CourseAsset", "CourseRevision", "Draft", "Enrolment", "Export",
    "Module", "ModuleProgress", "ModuleRevision", "Notice", "QuizAttempt", "ReminderSent", "ScenarioChoice",
    "ScenarioPlay", "SummaryEvent", "ThrottleCounter", "TrainingSummary", "User", "UserRole",
]

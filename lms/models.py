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
from .learning.models import Course, CourseAsset, Enrolment, Module, ModuleProgress, ModuleRevision

__all__ = [
    "Activity", "ActivityRevision", "AttemptResponse", "Course", "CourseAsset", "Enrolment",
    "Module", "ModuleProgress", "ModuleRevision", "QuizAttempt", "ScenarioChoice", "ScenarioPlay",
    "SummaryEvent", "TrainingSummary", "User", "UserRole",
]

"""Every LMS model, imported so the metadata is complete (migrations, tests)."""

from .accounts.models import User, UserRole
from .learning.models import Course, CourseAsset, Enrolment, Module, ModuleProgress, ModuleRevision

__all__ = ["Course", "CourseAsset", "Enrolment", "Module", "ModuleProgress", "ModuleRevision",
           "User", "UserRole"]

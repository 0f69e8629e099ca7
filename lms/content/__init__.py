"""Authored content parsed into plain objects; no Flask, no database."""

from .course import AssetSpec, CourseSpec, ModuleSpec, parse_course
from .errors import ContentError, ContentErrors
from .loader import course_dirs, load_courses, load_paths
from .render import render_markdown

__all__ = [
    "AssetSpec",
    "ContentError",
    "ContentErrors",
    "CourseSpec",
    "ModuleSpec",
    "course_dirs",
    "load_courses",
    "load_paths",
    "parse_course",
    "render_markdown",
]

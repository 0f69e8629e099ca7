"""Find and parse every course under the paths an author names."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .course import COURSE_FILE, CourseSpec, parse_course
from .errors import ContentError, ContentErrors


def course_dirs(paths: Iterable[Path]) -> list[Path]:
    """Course folders named by ``paths``: a course folder, a file in one, or a folder of courses."""
    found: dict[Path, None] = {}
    for path in paths:
        path = Path(path)
        if path.is_file():
            path = path.parent
        if (path / COURSE_FILE).is_file():
            found[path] = None
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_dir() and (child / COURSE_FILE).is_file():
                    found[child] = None
    return list(found)


def load_courses(paths: Iterable[Path]) -> list[CourseSpec]:
    """Parse every course under ``paths``; raises :class:`ContentErrors` with all problems."""
    paths = [Path(p) for p in paths]
    errors: list[ContentError] = []
    for path in paths:
        if not path.exists():
            errors.append(ContentError(str(path), 1, "no such file or folder"))
    dirs = course_dirs(p for p in paths if p.exists())
    if not dirs and not errors:
        shown = ", ".join(str(p) for p in paths)
        errors.append(ContentError(shown, 1, f"no course found (a course is a folder with {COURSE_FILE})"))
    courses = []
    for course_dir in dirs:
        try:
            courses.append(parse_course(course_dir))
        except ContentErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ContentErrors(errors)
    return courses

"""Find and parse every course, with its quizzes and scenarios, under the paths an author names."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from .course import COURSE_FILE, CourseSpec, parse_course
from .errors import ContentError, ContentErrors

#: The activity every course may name without a file: the trainee's training summary.
SUMMARY_ACTIVITY = "training-summary"


def course_dirs(paths: Iterable[Path], courses_dir: Path | None = None,
                quizzes_dir: Path | None = None) -> list[Path]:
    """Course folders named by ``paths``: a course folder, a file in one, a folder of courses,
    or (given the two content roots) a course's quiz folder or a file in it."""
    found: dict[Path, None] = {}
    for path in paths:
        path = Path(path)
        if quizzes_dir is not None and courses_dir is not None and _is_within(path, quizzes_dir):
            relative = path.resolve().relative_to(quizzes_dir.resolve()).parts
            targets = [courses_dir / relative[0]] if relative else [courses_dir]
        else:
            targets = [path.parent if path.is_file() else path]
        for target in targets:
            if (target / COURSE_FILE).is_file():
                found[target] = None
            elif target.is_dir():
                for child in sorted(target.iterdir()):
                    if child.is_dir() and (child / COURSE_FILE).is_file():
                        found[child] = None
    return list(found)


def _is_within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def load_courses(paths: Iterable[Path], quizzes_dir: Path | None = None,
                 courses_dir: Path | None = None) -> list[CourseSpec]:
    """Parse every course under ``paths`` and, when ``quizzes_dir`` is given, the activities in
    ``quizzes_dir/<course>/``; raises :class:`ContentErrors` with all problems."""
    paths = [Path(p) for p in paths]
    errors: list[ContentError] = []
    for path in paths:
        if not path.exists():
            errors.append(ContentError(str(path), 1, "no such file or folder"))
    dirs = course_dirs((p for p in paths if p.exists()), courses_dir, quizzes_dir)
    if not dirs and not errors:
        shown = ", ".join(str(p) for p in paths)
        errors.append(ContentError(shown, 1, f"no course found (a course is a folder with {COURSE_FILE})"))
    courses = []
    for course_dir in dirs:
        try:
            course = parse_course(course_dir)
            if quizzes_dir is not None:
                course = _with_activities(course, Path(quizzes_dir) / course.slug)
            courses.append(course)
        except ContentErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ContentErrors(errors)
    return courses


def _with_activities(course: CourseSpec, folder: Path) -> CourseSpec:
    from .quiz import load_quizzes
    from .scenario import SUFFIX, load_scenario

    errors: list[ContentError] = []
    quizzes, scenarios = [], []
    if folder.is_dir():
        try:
            quizzes = load_quizzes(folder)
        except ContentErrors as exc:
            errors.extend(exc.errors)
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            try:
                scenarios.append(load_scenario(path))
            except ContentErrors as exc:
                errors.extend(exc.errors)
    quiz_slugs = {quiz.slug for quiz in quizzes}
    for scenario in scenarios:
        if scenario.slug in quiz_slugs:
            errors.append(ContentError(scenario.path, 1, f"'{scenario.slug}' is also the name of a quiz"))
    known = quiz_slugs | {s.slug for s in scenarios} | {SUMMARY_ACTIVITY}
    if not errors:
        for module in course.modules:
            for activity in module.activities:
                if activity not in known:
                    errors.append(ContentError(
                        module.path, module.activities_line,
                        f"activity '{activity}' not found: no {activity}.md, {activity}.gift or "
                        f"{activity}{SUFFIX} in {folder}"))
    if errors:
        raise ContentErrors(errors)
    return dataclasses.replace(course, quizzes=tuple(quizzes), scenarios=tuple(scenarios))


def load_paths(paths: Iterable[Path], courses_dir: Path, quizzes_dir: Path) -> list[CourseSpec]:
    """What ``lms check`` and ``lms import`` read: the courses ``paths`` name (default: every
    course under ``courses_dir``) with their activities. A folder of quizzes among ``paths`` is
    read instead of ``quizzes_dir``; a path read by nothing is an error."""
    paths = [Path(p) for p in paths]
    course_paths: list[Path] = []
    quiz_roots: dict[Path, Path] = {}  # the folder of quizzes -> the path given
    errors: list[ContentError] = []
    for path in paths:
        if not path.exists() or course_dirs([path]):
            course_paths.append(path)
        elif _is_within(path, quizzes_dir) and not any(
                p.exists() and not _is_within(p, quizzes_dir) and course_dirs([p]) for p in paths):
            course_paths.append(path)  # a quiz of the configured content: check its course
        elif path.is_dir():
            root = path if any(child.is_dir() for child in path.iterdir()) else path.parent
            quiz_roots[root] = path
        else:
            errors.append(ContentError(str(path), 1, "read by nothing: neither in a course folder "
                                       "nor in a folder of quizzes"))
    if len(quiz_roots) > 1:
        errors.append(ContentError(", ".join(str(p) for p in quiz_roots.values()), 1,
                                   "more than one folder of quizzes given"))
    if errors:
        raise ContentErrors(errors)
    root = next(iter(quiz_roots), None)
    if root is not None:
        given = quiz_roots[root]
        slugs = {folder.name for folder in course_dirs(p for p in course_paths if p.exists())}
        read = {given.name} & slugs if given != root else {c.name for c in root.iterdir()} & slugs
        if not read:
            raise ContentErrors([ContentError(str(given), 1, "read by nothing: no quiz folder of the "
                                              f"courses read here (expected {root}/<course>/)")])
    return load_courses(course_paths or [courses_dir], quizzes_dir=root or quizzes_dir,
                        courses_dir=courses_dir if root is None else None)

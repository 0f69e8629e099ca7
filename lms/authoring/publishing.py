"""Validated specs in, new immutable revisions out: the one place content is published.

Callers are :mod:`lms.authoring.services` (``lms import``, drafts, rollback, packages). It flushes;
the caller commits once, so a failure anywhere leaves the previous revisions live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select

from ..content import CourseSpec, ModuleSpec
from ..content.course import COURSE_FILE
from ..db import session, utcnow
from ..learning.models import Course, CourseAsset, Module, ModuleRevision
from ..learning.services import enrol_all_trainees
from ..learning.structure import load as load_structure
from ..progress import SILENT, Progress
from .models import CourseRevision


@dataclass
class ImportReport:
    courses_created: list[str] = field(default_factory=list)
    revisions_created: list[str] = field(default_factory=list)  # "course/module rN"
    modules_archived: list[str] = field(default_factory=list)  # modules and activities
    drafts_saved: list[str] = field(default_factory=list)  # "course/item (added|changed|retired)"
    assets_changed: int = 0
    enrolments_created: int = 0
    unchanged_modules: int = 0

    def lines(self) -> list[str]:
        lines = [f"new course: {slug}" for slug in self.courses_created]
        lines += [f"new revision: {name}" for name in self.revisions_created]
        lines += [f"archived: {name}" for name in self.modules_archived]
        lines += [f"draft: {name}" for name in self.drafts_saved]
        lines.append(f"{len(self.revisions_created)} new revision(s), "
                     f"{self.unchanged_modules} unchanged, "
                     f"{self.assets_changed} asset(s) updated, "
                     f"{self.enrolments_created} enrolment(s) created"
                     + (f", {len(self.drafts_saved)} draft(s) saved" if self.drafts_saved else ""))
        return lines


@dataclass(frozen=True)
class Stamp:
    """Who publishes and why, kept on every revision a publication creates."""

    author: str
    message: str = ""
    approved_by: str | None = None


def spec_files(spec: Any) -> list[list[Any]]:
    """The files a module's, activity's or course's source is made of: [[name, characters], …]."""
    if isinstance(spec, CourseSpec):
        return [[COURSE_FILE, len(spec.source)]]
    name = PurePosixPath(spec.path.replace("\\", "/")).name
    extra = getattr(spec, "settings_source", "")
    if extra:  # a GIFT quiz: the .gift text, then its settings file
        return [[name, len(spec.source) - len(extra)], [f"{spec.slug}.yml", len(extra)]]
    return [[name, len(spec.source)]]


def publish_courses(specs: list[CourseSpec], stamp: Stamp, progress: Progress = SILENT) -> ImportReport:
    report = ImportReport()
    for spec in specs:
        _publish_course(spec, stamp, report, progress)
    session.flush()
    return report


def publish_steps(spec: CourseSpec) -> int:
    """The steps ``progress`` advances by while a course is published: its modules, its
    activities, and enrolling the trainees."""
    return len(spec.modules) + len(spec.quizzes) + len(spec.scenarios) + 1


def current_course_revision(course_id: int) -> CourseRevision | None:
    return session.scalar(select(CourseRevision).where(CourseRevision.course_id == course_id)
                          .order_by(CourseRevision.number.desc()).limit(1))


def _publish_course(spec: CourseSpec, stamp: Stamp, report: ImportReport, progress: Progress) -> None:
    course = session.scalar(select(Course).where(Course.slug == spec.slug))
    if course is None:
        course = Course(slug=spec.slug)
        session.add(course)
        report.courses_created.append(spec.slug)
    settings = {
        "title": spec.title,
        "description": spec.description,
        "hours": spec.hours,
        "is_sequential": spec.sequential,
        "enrol_all_trainees": spec.enrol_all_trainees,
        "due_days": spec.due_days,
        "is_archived": False,
    }
    changed = False
    for name, value in settings.items():
        if getattr(course, name) != value:
            setattr(course, name, value)
            changed = True
    session.flush()
    before = load_structure(course.id)
    _publish_course_revision(course, spec, stamp, report)

    existing = {module.slug: module for module in course.modules}
    for module_spec in spec.modules:
        module = existing.pop(module_spec.slug, None)
        if module is None:
            module = Module(course=course, slug=module_spec.slug, position=module_spec.position)
            session.add(module)
        module.position = module_spec.position
        module.is_archived = False
        _publish_module(module, module_spec, stamp, report, f"{spec.slug}/{module_spec.slug}")
    for slug, module in existing.items():
        if not module.is_archived:
            module.is_archived = True
            report.modules_archived.append(f"{spec.slug}/{slug}")
    progress.advance(len(spec.modules))

    assets = {asset.path: asset for asset in session.scalars(
        select(CourseAsset).where(CourseAsset.course_id == course.id))}
    for asset_spec in spec.assets:
        asset = assets.get(asset_spec.path)
        if asset is None:
            asset = CourseAsset(course_id=course.id, path=asset_spec.path)
            session.add(asset)
        if asset.sha256 != asset_spec.sha256:
            asset.data, asset.sha256 = asset_spec.data, asset_spec.sha256
            asset.mime_type, asset.updated_at = asset_spec.mime_type, utcnow()
            report.assets_changed += 1
    settings = {"summary_min_chars": spec.summary_min_chars, "completion": spec.completion,
                "certificate": spec.certificate, "reading": spec.reading,
                "review_required": spec.review_required}
    settings_changed = course.settings != settings
    if settings_changed:
        course.settings = settings
    session.flush()
    from .activities import publish_activities

    created, archived, unchanged = publish_activities(course, spec.quizzes, spec.scenarios, stamp)
    report.revisions_created += created
    report.modules_archived += archived
    report.unchanged_modules += unchanged
    progress.advance(len(spec.quizzes) + len(spec.scenarios))
    if changed or settings_changed or load_structure(course.id) != before:
        course.updated_at = utcnow()  # a new version: what learning.structure cached is not used again
        session.flush()
    if course.enrol_all_trainees:
        report.enrolments_created += enrol_all_trainees(course)
    progress.advance(1)


def _publish_course_revision(course: Course, spec: CourseSpec, stamp: Stamp,
                             report: ImportReport) -> None:
    current = current_course_revision(course.id)
    if current is not None and current.sha256 == spec.sha256:
        return
    number = current.number + 1 if current is not None else 1
    session.add(CourseRevision(course_id=course.id, number=number, source=spec.source,
                               sha256=spec.sha256, author=stamp.author, message=stamp.message,
                               approved_by=stamp.approved_by, files=spec_files(spec)))
    report.revisions_created.append(f"{spec.slug}/{COURSE_FILE} r{number}")


def _publish_module(module: Module, spec: ModuleSpec, stamp: Stamp, report: ImportReport,
                    name: str) -> None:
    current = module.current_revision
    if current is not None and current.sha256 == spec.sha256:
        if current.files is None:  # stored before file names were kept: learn them, same source
            current.files = spec_files(spec)
        report.unchanged_modules += 1
        return
    session.flush()
    number = (session.scalar(select(func.max(ModuleRevision.number))
                             .where(ModuleRevision.module_id == module.id)) or 0) + 1
    revision = ModuleRevision(module_id=module.id, number=number, title=spec.title,
                              summary=spec.summary, minutes=spec.minutes,
                              objectives=list(spec.objectives), activities=list(spec.activities),
                              source=spec.source, html=spec.html, sha256=spec.sha256,
                              author=stamp.author, message=stamp.message,
                              approved_by=stamp.approved_by, files=spec_files(spec))
    session.add(revision)
    session.flush()
    module.current_revision = revision
    report.revisions_created.append(f"{name} r{number}")

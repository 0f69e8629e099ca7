"""The one way content enters the database: validated specs in, new revisions out.

Called by ``lms import``, the editor and tests. It flushes; the caller commits once, so a
failure anywhere leaves the previous revisions live.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..content import CourseSpec, ModuleSpec
from ..db import session, utcnow
from ..progress import SILENT, Progress
from .models import Course, CourseAsset, Module, ModuleRevision
from .services import enrol_all_trainees
from .structure import load as load_structure


@dataclass
class ImportReport:
    courses_created: list[str] = field(default_factory=list)
    revisions_created: list[str] = field(default_factory=list)  # "course/module rN"
    modules_archived: list[str] = field(default_factory=list)  # modules and activities
    assets_changed: int = 0
    enrolments_created: int = 0
    unchanged_modules: int = 0

    def lines(self) -> list[str]:
        lines = [f"new course: {slug}" for slug in self.courses_created]
        lines += [f"new revision: {name}" for name in self.revisions_created]
        lines += [f"archived: {name}" for name in self.modules_archived]
        lines.append(f"{len(self.revisions_created)} new revision(s), "
                     f"{self.unchanged_modules} unchanged, "
                     f"{self.assets_changed} asset(s) updated, "
                     f"{self.enrolments_created} enrolment(s) created")
        return lines


def import_courses(specs: list[CourseSpec], author: str, progress: Progress = SILENT) -> ImportReport:
    report = ImportReport()
    for spec in specs:
        _import_course(spec, author, report)
        progress.advance(1)
    session.flush()
    return report


def _import_course(spec: CourseSpec, author: str, report: ImportReport) -> None:
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

    existing = {module.slug: module for module in course.modules}
    for module_spec in spec.modules:
        module = existing.pop(module_spec.slug, None)
        if module is None:
            module = Module(course=course, slug=module_spec.slug, position=module_spec.position)
            session.add(module)
        module.position = module_spec.position
        module.is_archived = False
        _import_revision(module, module_spec, author, report, f"{spec.slug}/{module_spec.slug}")
    for slug, module in existing.items():
        if not module.is_archived:
            module.is_archived = True
            report.modules_archived.append(f"{spec.slug}/{slug}")

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
                "certificate": spec.certificate, "reading": spec.reading}
    settings_changed = course.settings != settings
    if settings_changed:
        course.settings = settings
    session.flush()
    from ..assessments.sync import import_activities

    created, archived, unchanged = import_activities(course, spec.quizzes, spec.scenarios, author)
    report.revisions_created += created
    report.modules_archived += archived
    report.unchanged_modules += unchanged
    if changed or settings_changed or load_structure(course.id) != before:
        course.updated_at = utcnow()  # a new version: what learning.structure cached is not used again
        session.flush()
    if course.enrol_all_trainees:
        report.enrolments_created += enrol_all_trainees(course)


def _import_revision(module: Module, spec: ModuleSpec, author: str, report: ImportReport,
                     name: str) -> None:
    current = module.current_revision
    if current is not None and current.sha256 == spec.sha256:
        report.unchanged_modules += 1
        return
    session.flush()
    number = (session.scalar(select(func.max(ModuleRevision.number))
                             .where(ModuleRevision.module_id == module.id)) or 0) + 1
    revision = ModuleRevision(module_id=module.id, number=number, title=spec.title,
                              summary=spec.summary, minutes=spec.minutes,
                              objectives=list(spec.objectives), activities=list(spec.activities),
                              source=spec.source, html=spec.html, sha256=spec.sha256,
                              author=author)
    session.add(revision)
    session.flush()
    module.current_revision = revision
    report.revisions_created.append(f"{name} r{number}")

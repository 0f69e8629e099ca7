"""A course's published structure, cached per version of its content.

Revisions are immutable and an import that changes anything in a course moves its
``updated_at`` (``authoring.publishing``), so the structure read for one ``(course id, updated_at)`` never
goes stale; each process keeps the few it has seen, and a publish anywhere is picked up by every
process at its next request (the course row is read on every page anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from sqlalchemy import select

from ..db import session

#: Versions kept per process: a few courses, each with its current and maybe previous version.
MAX_ENTRIES = 64
#: Module texts kept per process (a few courses' modules, each maybe in two versions).
MAX_HTML = 256


@dataclass(frozen=True)
class ActivityInfo:
    id: int
    slug: str
    kind: str
    title: str


@dataclass(frozen=True)
class RevisionInfo:
    """What the trainee's pages show of a module revision (its text aside: :func:`revision_html`)."""

    id: int
    title: str
    summary: str
    minutes: int
    objectives: tuple[str, ...]
    activities: tuple[str, ...]
    sha256: str


@dataclass(frozen=True)
class ModuleInfo:
    """An active module and its current revision, read as a :class:`~lms.learning.models.Module`
    is (``slug``, ``position``, ``current_revision``…) by the pages and services that show it."""

    id: int
    slug: str
    position: int
    current_revision: RevisionInfo | None

    @property
    def current_revision_id(self) -> int | None:
        return self.current_revision.id if self.current_revision is not None else None

    revision_id = current_revision_id

    @property
    def title(self) -> str:
        return self.current_revision.title if self.current_revision is not None else self.slug

    @property
    def minutes(self) -> int:
        return self.current_revision.minutes if self.current_revision is not None else 0

    @property
    def activities(self) -> tuple[str, ...]:
        return self.current_revision.activities if self.current_revision is not None else ()


@dataclass(frozen=True)
class Structure:
    """What a course asks of a trainee, in order: its active modules (each with the activities it
    lists) and its active activities by slug."""

    modules: tuple[ModuleInfo, ...]
    activities: dict[str, ActivityInfo]

    @property
    def step_activities(self) -> tuple[str, ...]:
        """The activities that are steps of the course: those a module lists, once, in order."""
        seen: dict[str, None] = {}
        for module in self.modules:
            for slug in module.activities:
                if slug in self.activities:
                    seen.setdefault(slug)
        return tuple(seen)


_cache: dict[tuple[int, datetime | None], Structure] = {}
_lock = Lock()


def structure(course) -> Structure:
    """The published structure of ``course`` (one query per course version and process)."""
    key = (course.id, course.updated_at)
    found = _cache.get(key)
    if found is None:
        found = load(course.id)
        with _lock:
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            _cache[key] = found
    return found


def load(course_id: int) -> Structure:
    from ..assessments.models import Activity, ActivityRevision
    from ..assessments.summaries import SUMMARY_SLUG
    from .models import Module, ModuleRevision

    modules = session.execute(
        select(Module.id, Module.slug, Module.position, ModuleRevision.id, ModuleRevision.title,
               ModuleRevision.summary, ModuleRevision.minutes, ModuleRevision.objectives,
               ModuleRevision.activities, ModuleRevision.sha256)
        .join(ModuleRevision, Module.current_revision_id == ModuleRevision.id, isouter=True)
        .where(Module.course_id == course_id, Module.is_archived.is_(False))
        .order_by(Module.position)).all()
    activities = session.execute(
        select(Activity.id, Activity.slug, Activity.kind, ActivityRevision.title)
        .join(ActivityRevision, Activity.current_revision_id == ActivityRevision.id, isouter=True)
        .where(Activity.course_id == course_id, Activity.is_archived.is_(False))).all()
    found = {slug: ActivityInfo(id, slug, kind, title or slug) for id, slug, kind, title in activities}
    found[SUMMARY_SLUG] = ActivityInfo(0, SUMMARY_SLUG, "summary", "")
    return Structure(
        tuple(ModuleInfo(id, slug, position, None if revision_id is None else RevisionInfo(
            revision_id, title or slug, summary or "", minutes or 0, tuple(objectives or ()),
            tuple(listed or ()), sha256))
            for id, slug, position, revision_id, title, summary, minutes, objectives, listed, sha256
            in modules),
        found)


_html: dict[tuple[int, str], str] = {}


def revision_html(revision: RevisionInfo) -> str:
    """The rendered text of a module revision: immutable, so kept per process once read (by id
    and checksum, so that another database's revision of the same id is never taken for it)."""
    from .models import ModuleRevision

    key = (revision.id, revision.sha256)
    found = _html.get(key)
    if found is None:
        found = session.scalar(select(ModuleRevision.html).where(ModuleRevision.id == revision.id)) or ""
        with _lock:
            if len(_html) >= MAX_HTML:
                _html.clear()
            _html[key] = found
    return found

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


@dataclass(frozen=True)
class ActivityInfo:
    id: int
    slug: str
    kind: str
    title: str


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    slug: str
    revision_id: int | None
    title: str
    minutes: int
    activities: tuple[str, ...]


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
        select(Module.id, Module.slug, Module.current_revision_id, ModuleRevision.title,
               ModuleRevision.minutes, ModuleRevision.activities)
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
        tuple(ModuleInfo(id, slug, revision_id, title or slug, minutes or 0, tuple(listed or ()))
              for id, slug, revision_id, title, minutes, listed in modules),
        found)

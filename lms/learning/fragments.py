"""Parts of trainee pages rendered once for everything they show, then reused.

A fragment's key is what it shows (the module as published, the trainee's state in it, in each
activity) and what renders it (locale, mount point, database), so a trainee whose state differs in
anything gets their own rendering, and a publish or a new result is seen at once. Nothing personal
is in a fragment: no name, no token, no figure only one trainee has.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from markupsafe import Markup

from ..db import session
from ..i18n import current_locale
from ..memo import LatestCache
from ..statuses import COMPLETED
from .models import Course
from .reading import ModuleTime
from .services import CourseStatus, ModuleStatus
from .structure import ModuleInfo, revision_html

#: Renderings kept per process, the least recently used dropped first (the key names the database).
_rendered = LatestCache(size=2048, per_database=False)


def _fragment(template: str, key: tuple, **context: Any) -> Markup:
    """``template`` rendered with ``context``, or the rendering already made under ``key``."""
    key = (template, session.get_bind().url, current_locale(), current_app.config["LMS_URL_PREFIX"],
           request.script_root, *key)
    found = _rendered.get(key, True)
    if found is None:
        found = render_template(template, **context)
        _rendered.put(key, True, found)
    return Markup(found)


def module_list(course: Course, status: CourseStatus) -> Markup:
    """The course page's ``<ol>`` of modules with their activities."""
    key = (course.id, course.slug, status.enrolment is not None,
           tuple((s.module, s.state, s.updated_since_completed, tuple(status.activities_of(s.module)))
                 for s in status.modules))
    return _fragment("lms/learning/_module_list.html", key, course=course, status=status)


def module_article(course: Course, status: CourseStatus, module: ModuleInfo,
                   module_status: ModuleStatus, reading: ModuleTime | None) -> Markup:
    """The module page's breadcrumb, head (position, minutes, whether it is completed, read-aloud)
    and text."""
    revision = module.current_revision
    required = reading.required if reading is not None else 0
    completed = module_status.state == COMPLETED
    key = (course.id, course.slug, course.title, module, len(status.modules), required, completed)
    return _fragment("lms/learning/_module_article.html", key, course=course, module=module,
                     revision=revision, module_count=len(status.modules), required=required,
                     completed=completed, html=revision_html(revision) if revision else "")

"""Parts of trainee pages rendered once for everything they show, then reused.

The course page's module list is the same HTML for every trainee at the same stage: its key is
what it shows (each module as published, the trainee's state in it and in each activity) and what
renders it (locale, mount point, database), so a trainee whose state differs in anything gets
their own rendering and a publish or a new result is seen at once.
"""

from __future__ import annotations

from collections.abc import Hashable
from threading import Lock

from flask import render_template, request
from markupsafe import Markup

from ..db import session
from ..i18n import current_locale
from .models import Course
from .services import CourseStatus

MAX_ENTRIES = 2048

_rendered: dict[Hashable, Markup] = {}
_lock = Lock()


def module_list(course: Course, status: CourseStatus) -> Markup:
    """The course page's ``<ol>`` of modules with their activities."""
    key = (str(session.get_bind().url), course.id, course.slug, current_locale(), request.script_root,
           status.enrolment is not None,
           tuple((s.module, s.state, s.updated_since_completed, tuple(status.activities_of(s.module)))
                 for s in status.modules))
    found = _rendered.get(key)
    if found is None:
        found = Markup(render_template("lms/learning/_module_list.html", course=course, status=status))
        with _lock:
            if len(_rendered) >= MAX_ENTRIES:
                _rendered.clear()
            _rendered[key] = found
    return found

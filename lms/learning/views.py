"""The trainee's pages: dashboard, course, module, and progress reports from the module page."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from ..accounts.access import login_required
from ..accounts.identity import load_current_user
from ..accounts.models import HR, TRAINER
from ..certificates import services as certificate_services
from ..db import session, utcnow
from ..i18n import gettext as _
from ..notices.services import open_notices
from ..params import wants_json
from ..reminders.services import due_notices
from . import services
from .forms import ReadingReportForm
from .fragments import module_article, module_list
from .models import Course, CourseAsset

bp = Blueprint("learning", __name__)


def _load_course(slug: str) -> tuple[Course, services.CourseStatus]:
    """The course and where the current user stands in it; 404 unknown, 403 not assigned."""
    user = load_current_user()
    course, enrolment = services.course_and_enrolment(slug, user)
    if course is None:
        abort(404)
    if enrolment is None and not user.has_role(TRAINER, HR):
        abort(403)
    return course, services.course_status(course, enrolment)


@bp.get("/")
@login_required
def dashboard():
    user = load_current_user()
    courses = services.dashboard(user)
    certificates = certificate_services.certificates_of(courses, past_of=user)
    enrolled = {status.course.id for status in courses}
    previews = ([c for c in services.all_courses() if c.id not in enrolled]
                if user.has_role(TRAINER, HR) else [])
    now = utcnow()
    notices = due_notices([status.enrolment for status in courses], certificates.issued.values(), now)
    return render_template("lms/learning/dashboard.html", courses=courses, previews=previews,
                           certificates=certificates.issued, pending=certificates.pending,
                           certificate_lines=certificates,
                           now=now, notices=notices, news=open_notices(user),
                           past=certificates.past)


@bp.get("/courses/<course_slug>/")
@login_required
def course(course_slug: str):
    course, status = _load_course(course_slug)
    requirements = certificate_services.requirements(status) if status.enrolment else []
    lines = certificate_services.certificates_of([status] if status.enrolment else [])
    certificate = lines.issued.get(status.enrolment.id) if status.enrolment else None
    return render_template("lms/learning/course.html", course=course, status=status,
                           requirements=requirements, certificate=certificate, certificate_lines=lines,
                           module_list=module_list(course, status), now=utcnow())


@bp.get("/courses/<course_slug>/<module_slug>")
@login_required
def module(course_slug: str, module_slug: str):
    course, status = _load_course(course_slug)
    module = services.find_module(course, module_slug) or abort(404)
    module_status = status.status_of(module)
    if module_status.state == services.LOCKED:
        flash(_("Finish the modules before “%(title)s” first: this course is taken in order.",
                title=module.current_revision.title), "warning")
        return redirect(url_for(".course", course_slug=course.slug))
    # Opening the page records nothing: the page's first progress report is the visit.
    reading = (services.module_time(course, module_status.progress, module)
               if status.enrolment is not None else None)
    previous, following = status.neighbours(module)
    return render_template("lms/learning/module.html", course=course, status=status,
                           module=module, revision=module.current_revision,
                           article=module_article(course, status, module, module_status, reading),
                           module_status=module_status, previous=previous, following=following,
                           reading=reading)


@bp.post("/courses/<course_slug>/<module_slug>/progress")
@login_required
def report_progress(course_slug: str, module_slug: str):
    course, status = _load_course(course_slug)
    module = services.find_module(course, module_slug) or abort(404)
    if status.enrolment is None:
        abort(403)
    if status.status_of(module).state == services.LOCKED:
        abort(409)
    form = ReadingReportForm()
    if not form.validate():
        abort(400)
    row = services.record_reading(status.enrolment, module, form.seconds.data or 0,
                                  bool(form.reached_end.data), form.revision.data, utcnow())
    reading = services.module_time(course, row, module)
    updated = services.course_status(course, status.enrolment)
    if wants_json():
        return jsonify(completed=row.is_complete, reached_end=row.reached_end_at is not None,
                       seconds_spent=row.seconds_spent, required_seconds=60 * reading.required,
                       remaining_seconds=reading.remaining_seconds,
                       remaining_minutes=reading.remaining_minutes, course_percent=updated.percent)
    if not row.is_complete:
        flash(_("You have reached the end. Keep reading for %(minutes)s more min to complete "
                "this module.", minutes=reading.remaining_minutes), "warning")
        return redirect(url_for(".module", course_slug=course.slug, module_slug=module.slug))
    following = updated.neighbours(module)[1]
    if following is not None:
        return redirect(url_for(".module", course_slug=course.slug, module_slug=following.module.slug))
    return redirect(url_for(".course", course_slug=course.slug))


@bp.get("/courses/<course_slug>/assets/<path:asset_path>")
@login_required
def asset(course_slug: str, asset_path: str):
    course, _status = _load_course(course_slug)
    asset = session.scalar(select(CourseAsset).where(CourseAsset.course_id == course.id,
                                                     CourseAsset.path == asset_path)) or abort(404)
    response = Response(asset.data, mimetype=asset.mime_type)
    response.set_etag(asset.sha256)
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    response.headers["X-Content-Type-Options"] = "nosniff"
    if asset.mime_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response.make_conditional(request)


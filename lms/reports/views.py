"""HR's pages: course dashboards with filters, exports, certificate ZIPs, employee import,
assigning courses; and the administrators' audit log."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from ..accounts.access import login_required, roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import ADMIN, HR, TRAINER
from ..audit import chain as audit_chain
from ..audit.labels import ACTIONS, action_label, readable_details
from ..audit.services import audit_count, chain_entries, entries, record
from ..db import session, utcnow
from ..i18n import gettext as _
from ..learning import services as learning
from ..learning.models import Enrolment
from . import hr, summaries
from .archives import certificate_files, stream_zip
from .spreadsheets import parse_employees, write_csv, write_xlsx

bp = Blueprint("hr", __name__)
PER_PAGE = 50


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filter() -> hr.RosterFilter:
    args = request.args
    return hr.RosterFilter(search=args.get("q", ""), department=args.get("department", ""),
                           cohort=args.get("cohort", ""), status=args.get("status", ""),
                           due_from=_date(args.get("due_from")), due_to=_date(args.get("due_to")),
                           sort=args.get("sort", "employee_no"), descending=args.get("order") == "desc")


def _filtered(course_slug: str):
    course = learning.get_course(course_slug) or abort(404)
    now = utcnow()
    rows = hr.course_roster(course, now)
    wanted = _filter()
    within = request.args.get("within", type=int)
    found = hr.filter_roster(rows, wanted, now)
    if wanted.status == "expiring" and within in (30, 60, 90):
        everyone = hr.filter_roster(rows, dataclasses.replace(wanted, status=""), now)
        found = [row for row in everyone if row.expiring(now, timedelta(days=within))]
    return course, rows, found, now


@bp.get("/hr/")
@roles_required(HR)
def index():
    now = utcnow()
    courses = [(course, hr.status_counts(course, now)) for course in learning.all_courses()]
    failures = [entry for entry in entries("certificate.issue_failed", limit=20)
                if entry.created_at > now - timedelta(days=30)]
    return render_template("lms/hr/index.html", courses=courses, failures=failures)


@bp.get("/hr/courses/<course_slug>/")
@roles_required(HR)
def course(course_slug: str):
    course, rows, found, now = _filtered(course_slug)
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(found) // PER_PAGE))
    departments, cohorts = hr.departments_and_cohorts()
    return render_template("lms/hr/course.html", course=course, counts=hr.counts(rows, now),
                           rows=found[(page - 1) * PER_PAGE: page * PER_PAGE], total=len(found),
                           page=page, pages=pages, filters=_filter(), departments=departments,
                           cohorts=cohorts, statuses=hr.STATUS_LABELS, now=now,
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/hr/courses/<course_slug>/export.<any(csv, xlsx):fmt>")
@roles_required(HR)
def export(course_slug: str, fmt: str):
    course, _rows, found, _now = _filtered(course_slug)
    data = hr.export_rows(found)
    record(f"export.{fmt}", course.slug, load_current_user(),
           {"rows": len(found), "filters": dict(request.args)})
    session.commit()
    name = f"{course.slug}-{utcnow():%Y%m%d}.{fmt}"
    if fmt == "csv":
        body, mimetype = write_csv(hr.export_headers(course), data), "text/csv; charset=utf-8"
    else:
        body = write_xlsx(course.title, hr.export_headers(course), data)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/hr/courses/<course_slug>/certificates.zip")
@roles_required(HR)
def certificates_zip(course_slug: str):
    course, _rows, found, _now = _filtered(course_slug)
    serials = [row.serial for row in found if row.serial]
    record("export.certificates_zip", course.slug, load_current_user(),
           {"certificates": len(serials), "filters": dict(request.args)})
    session.commit()
    name = f"{course.slug}-certificates-{utcnow():%Y%m%d}.zip"
    return Response(stream_with_context(stream_zip(certificate_files(serials))), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/hr/employees/import", methods=["GET", "POST"])
@roles_required(HR)
def import_employees():
    result = problems = None
    if request.method == "POST":
        upload = request.files.get("file")
        if not upload or not upload.filename:
            flash(_("Choose a CSV or Excel file to import."), "warning")
        else:
            parsed = parse_employees(upload.filename, upload.read())
            if parsed.errors:
                problems = parsed.errors  # nothing is saved while any row is wrong
            else:
                result = hr.import_employees(parsed.rows, load_current_user())
                session.commit()
    status = 400 if problems else 200
    return render_template("lms/hr/import.html", result=result, problems=problems), status


@bp.route("/hr/courses/<course_slug>/assign", methods=["GET", "POST"])
@roles_required(HR)
def assign(course_slug: str):
    course = learning.get_course(course_slug) or abort(404)
    departments, cohorts = hr.departments_and_cohorts()
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen_departments = request.form.getlist("departments")
        chosen_cohorts = request.form.getlist("cohorts")
        due_on = _date(request.form.get("due_on"))
        if not chosen_departments and not chosen_cohorts:
            errors["departments"] = _("Choose at least one department or cohort.")
        if due_on is None:
            errors["due_on"] = _("Give the due date as YYYY-MM-DD.")
        elif due_on < utcnow().date():
            errors["due_on"] = _("The due date is in the past.")
        if not errors:
            enrolled, changed = hr.assign_course(course, chosen_departments, chosen_cohorts, due_on,
                                                 load_current_user())
            session.commit()
            flash(_("%(enrolled)d enrolled, %(changed)d due dates changed.", enrolled=enrolled,
                    changed=changed), "success")
            return redirect(url_for(".course", course_slug=course.slug))
    return render_template("lms/hr/assign.html", course=course, departments=departments,
                           cohorts=cohorts, errors=errors, form=request.form), 400 if errors else 200


@bp.get("/admin/audit")
@roles_required(ADMIN)
def audit_log():
    action = request.args.get("action", "")
    if request.args.get("format") == "csv":
        record("export.audit_csv", "audit", load_current_user(), {"rows": audit_count()})
        session.commit()
        return Response(stream_with_context(audit_chain.write_csv(chain_entries())),
                        mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
    return render_template("lms/hr/audit.html", entries=entries(action or None, limit=500), action=action,
                           action_label=action_label, readable_details=readable_details,
                           actions=sorted(ACTIONS.items(), key=lambda item: item[0]))


# --- training summary reports (PDF) ----------------------------------------------------------

def _pdf(data: bytes, name: str, title: str | None = None) -> Response:
    """A PDF download named ``name`` (ASCII); browsers that can show ``title`` + the date use it."""
    disposition = f'attachment; filename="{name}"'
    if title:
        disposition += f"; filename*=UTF-8''{quote(title)}"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"})


@bp.get("/reports/enrolments/<int:enrolment_id>.pdf")
@login_required
def trainee_report(enrolment_id: int):
    """A trainee's training summary report: their own, or anyone's for HR and trainers."""
    enrolment = session.get(Enrolment, enrolment_id) or abort(404)
    user = load_current_user()
    if enrolment.user_id != user.id and not user.has_role(HR, TRAINER):
        abort(403)
    context = summaries.trainee_report(enrolment)
    data = summaries.render_report_pdf("lms/reports/trainee.html", **context)
    subject = f"{enrolment.user.employee_no or enrolment.user.username}/{enrolment.course.slug}"
    record("report.trainee", subject, user)
    session.commit()
    return _pdf(data, f"report-{enrolment.user.employee_no or enrolment.user_id}-{enrolment.course.slug}.pdf")


@bp.get("/courses/<course_slug>/report.pdf")
@login_required
def my_report(course_slug: str):
    course = learning.get_course(course_slug) or abort(404)
    enrolment = learning.current_enrolment(load_current_user(), course) or abort(404)
    return redirect(url_for(".trainee_report", enrolment_id=enrolment.id))


@bp.get("/hr/courses/<course_slug>/report")
@roles_required(HR, TRAINER)
def cohort(course_slug: str):
    course = learning.get_course(course_slug) or abort(404)
    return render_template("lms/reports/cohort_page.html", **summaries.cohort_report(course))


@bp.get("/hr/courses/<course_slug>/report.pdf")
@roles_required(HR, TRAINER)
def cohort_pdf(course_slug: str):
    course = learning.get_course(course_slug) or abort(404)
    data = summaries.render_report_pdf("lms/reports/cohort.html",
                                       **summaries.cohort_report(course, statistics=True))
    record("report.cohort", course.slug, load_current_user())
    session.commit()
    today = f"{utcnow():%Y%m%d}"
    return _pdf(data, f"training-statistics-{course.slug}-{today}.pdf",
                f"{summaries.COHORT_REPORT_TITLE}-{course.title}-{today}.pdf")


@bp.get("/hr/courses/<course_slug>/audit-bundle.zip")
@roles_required(HR)
def audit_bundle(course_slug: str):
    """For the auditor: the period's certificates, its completion list and the training statistics
    report. The ZIP starts at once: the report's PDF is rendered while it streams."""
    course = learning.get_course(course_slug) or abort(404)
    first, last = _date(request.args.get("from")), _date(request.args.get("to"))
    if first is None or last is None or last < first:
        flash(_("Give the period as two dates, the first before the second."), "warning")
        return redirect(url_for(".course", course_slug=course.slug))
    start, end = hr.end_of_day(first) - timedelta(days=1), hr.end_of_day(last)
    rows = [row for row in hr.course_roster(course)
            if row.completed_at is not None and start < row.completed_at <= end]
    serials = [row.serial for row in rows if row.serial]
    html = render_template("lms/reports/cohort.html", **summaries.cohort_report(course, statistics=True))
    record("export.audit_bundle", course.slug, load_current_user(),
           {"from": first.isoformat(), "to": last.isoformat(), "certificates": len(serials)})
    session.commit()
    period = f"{first:%Y%m%d}-{last:%Y%m%d}"

    def report() -> Iterator[tuple[str, bytes]]:  # rendered once the download has begun
        yield f"{summaries.COHORT_REPORT_TITLE}-{period}.pdf", summaries.report_pdf(html)

    files = itertools.chain(
        [(f"completions-{period}.csv", write_csv(hr.export_headers(course), hr.export_rows(rows)))],
        report(), certificate_files(serials, folder="certificates/"))
    name = f"audit-{course.slug}-{period}.zip"
    return Response(stream_with_context(stream_zip(files)), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

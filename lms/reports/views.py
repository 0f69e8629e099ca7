"""HR's pages: course dashboards with filters, exports, certificate ZIPs, employee import,
assigning courses; and the administrators' audit log."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import timedelta
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
from flask_babel import format_date

from .. import fields
from ..accounts.access import login_required, roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import ADMIN, HR, TRAINER, User
from ..audit import chain as audit_chain
from ..audit.labels import ACTIONS, action_label, readable_details
from ..audit.services import audit_count, chain_entries, entries, record
from ..certificates.models import CertificateStatus
from ..db import session, utcnow
from ..i18n import gettext as _
from ..learning import services as learning
from ..learning.models import Enrolment
from ..params import FIRST_DAY, LAST_DAY, bad_request, int_arg, int_list, iso_day, parse_day
from . import hr, people, summaries
from .archives import ArchiveFile, certificate_files, course_certificates, stream_zip, with_manifest
from .spreadsheets import parse_employees, write_csv, write_xlsx

bp = Blueprint("hr", __name__)
PER_PAGE = 50


def _filter() -> hr.RosterFilter:
    args = request.args
    return hr.RosterFilter(search=args.get("q", ""), department=args.get("department", ""),
                           cohort=args.get("cohort", ""), status=args.get("status", ""),
                           certificate=args.get("certificate", ""),
                           due_from=parse_day(args.get("due_from")), due_to=parse_day(args.get("due_to")),
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
    page = int_arg("page", 1)
    pages = max(1, -(-len(found) // PER_PAGE))
    departments, cohorts = hr.departments_and_cohorts()
    return render_template("lms/hr/course.html", course=course, counts=hr.counts(rows, now),
                           rows=found[(page - 1) * PER_PAGE: page * PER_PAGE], total=len(found),
                           page=page, pages=pages, filters=_filter(), departments=departments,
                           cohorts=cohorts, statuses=hr.STATUS_LABELS, now=now,
                           certificate_statuses=list(CertificateStatus),
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
    """The certificates of the people the filters select: the currently valid ones, or with
    ``include=all`` also their revoked, replaced and expired ones; with ``manifest.csv``."""
    course, _rows, found, now = _filtered(course_slug)
    include_all = request.args.get("include") == "all"
    entries = course_certificates(course, now, user_ids={row.user_id for row in found},
                                  include_all=include_all)
    record("export.certificates_zip", course.slug, load_current_user(),
           {"certificates": len(entries), "filters": dict(request.args)})
    session.commit()
    name = f"{course.slug}-certificates{'-all' if include_all else ''}-{now:%Y%m%d}.zip"
    return Response(stream_with_context(stream_zip(with_manifest(certificate_files(entries)))),
                    mimetype="application/zip",
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
    """Assigning shows a preview first (who is enrolled, whose due date would move from what to
    what); only what HR confirms is applied, and existing due dates move only when ticked."""
    course = learning.get_course(course_slug) or abort(404)
    departments, cohorts = hr.departments_and_cohorts()
    errors: dict[str, str] = {}
    preview = None
    if request.method == "POST":
        chosen_departments = request.form.getlist("departments")
        chosen_cohorts = request.form.getlist("cohorts")
        due_on = parse_day(request.form.get("due_on"))
        if not chosen_departments and not chosen_cohorts:
            errors["departments"] = _("Choose at least one department or cohort.")
        if due_on is None:
            errors["due_on"] = _("Give the due date as YYYY-MM-DD.")
        elif due_on < hr.local_day(utcnow()):
            errors["due_on"] = _("The due date is in the past.")
        if not errors and request.form.get("confirmed"):
            enrolled, changed = hr.assign_course(
                course, chosen_departments, chosen_cohorts, due_on, load_current_user(),
                enrol_ids=int_list(request.form.getlist("enrol")),
                change_ids=int_list(request.form.getlist("change")))
            session.commit()
            flash(_("%(enrolled)d enrolled, %(changed)d due dates changed.", enrolled=enrolled,
                    changed=changed), "success")
            return redirect(url_for(".course", course_slug=course.slug))
        if not errors:
            preview = hr.preview_assignment(course, chosen_departments, chosen_cohorts, due_on)
    return render_template("lms/hr/assign.html", course=course, departments=departments,
                           cohorts=cohorts, errors=errors, form=request.form,
                           preview=preview), 400 if errors else 200


@bp.route("/hr/enrolments/<lms_id:enrolment_id>/due", methods=["GET", "POST"])
@roles_required(HR)
def extend_due(enrolment_id: int):
    """One trainee's later due date, with the reason, in the audit log."""
    enrolment = session.get(Enrolment, enrolment_id) or abort(404)
    error = None
    if request.method == "POST":
        due_on = parse_day(request.form.get("due_on"))
        try:
            if due_on is None:
                raise hr.DueDateError("no_date")
            hr.extend_due_date(enrolment, due_on, request.form.get("reason", ""), load_current_user())
            session.commit()
            flash(_("%(name)s is now due %(date)s.", name=enrolment.user.display_name,
                    date=format_date(enrolment.due_at, "long")), "success")
            return redirect(url_for(".course", course_slug=enrolment.course.slug))
        except hr.DueDateError as problem:
            session.rollback()
            error = {"no_date": _("Give the new due date as YYYY-MM-DD."),
                     "reason_invalid": _("A reason has at most %(n)d characters and no control characters.",
                                         n=fields.COMMENT.max_length),
                     "reason_required": _("Give the reason for the extension."),
                     "not_open": _("This enrolment is completed or closed; its due date no longer counts."),
                     "not_later": _("The new due date must be later than the current one and in the future.")
                     }[str(problem)]
    return render_template("lms/hr/extend_due.html", enrolment=enrolment, error=error,
                           form=request.form), 400 if error else 200


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


@bp.get("/hr/people/<lms_id:user_id>")
@roles_required(HR)
def person(user_id: int):
    """One person's record: courses and cycles, progress, recorded time, certificates, history."""
    user = session.get(User, user_id) or abort(404)
    return render_template("lms/hr/person.html", record=people.person_record(user, utcnow()), now=utcnow(),
                           statuses=hr.STATUS_LABELS, action_label=action_label,
                           readable_details=readable_details)


@bp.get("/reports/enrolments/<lms_id:enrolment_id>.pdf")
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


def _period() -> hr.Period | None:
    """The ``from``/``to`` period of the request; None when none is given; 400 when it is invalid."""
    given = request.args.get("from"), request.args.get("to")
    if not any(given):
        return None
    first, last = (iso_day(value) for value in given)
    message = None
    if first is None or last is None:
        message = _("Give the period as two dates, YYYY-MM-DD.")
    elif not FIRST_DAY <= first <= LAST_DAY or not FIRST_DAY <= last <= LAST_DAY:
        message = _("The period must lie between %(first)s and %(last)s.", first=FIRST_DAY.isoformat(),
                    last=LAST_DAY.isoformat())
    elif last < first:
        message = _("The period's first day must not be after its last day.")
    if message:
        bad_request(message)
    return hr.Period(first, last)


@bp.get("/hr/courses/<course_slug>/report")
@roles_required(HR, TRAINER)
def cohort(course_slug: str):
    course = learning.get_course(course_slug) or abort(404)
    report = summaries.cohort_report(course, period=_period())
    return render_template("lms/reports/cohort_page.html", **report)


@bp.get("/hr/courses/<course_slug>/report.pdf")
@roles_required(HR, TRAINER)
def cohort_pdf(course_slug: str):
    course = learning.get_course(course_slug) or abort(404)
    period = _period()
    data = summaries.render_report_pdf("lms/reports/cohort.html",
                                       **summaries.cohort_report(course, period=period, statistics=True))
    record("report.cohort", course.slug, load_current_user(),
           {"from": period.first.isoformat(), "to": period.last.isoformat()} if period else None)
    session.commit()
    suffix = period.tag if period else f"{utcnow():%Y%m%d}"
    return _pdf(data, f"training-statistics-{course.slug}-{suffix}.pdf",
                f"{summaries.COHORT_REPORT_TITLE}-{course.title}-{suffix}.pdf")


@bp.get("/hr/courses/<course_slug>/audit-bundle.zip")
@roles_required(HR)
def audit_bundle(course_slug: str):
    """For the auditor, everything for the period named in the file name and the manifest: the
    certificates issued in it (every status, marked, as of the export), the list of who completed
    in it, the training statistics report computed for it, and ``manifest.csv``. The ZIP starts at
    once: the report's PDF is rendered while it streams."""
    course = learning.get_course(course_slug) or abort(404)
    period = _period()
    if period is None:
        bad_request(_("Give the period as two dates, YYYY-MM-DD."))
    now = utcnow()
    completed = [row for row in hr.course_roster(course, now, period) if row.completed_at in period]
    entries = course_certificates(course, now, issued_in=period, include_all=True)
    html = render_template("lms/reports/cohort.html", **summaries.cohort_report(course, now, period))
    record("export.audit_bundle", course.slug, load_current_user(),
           {"from": period.first.isoformat(), "to": period.last.isoformat(), "certificates": len(entries)})
    session.commit()

    def report() -> Iterator[ArchiveFile]:  # rendered once the download has begun
        yield ArchiveFile(f"{summaries.COHORT_REPORT_TITLE}-{period.tag}.pdf", summaries.report_pdf(html))

    files = itertools.chain(
        [ArchiveFile(f"completions-{period.tag}.csv",
                     write_csv(hr.export_headers(course), hr.export_rows(completed)))],
        report(), certificate_files(entries, folder="certificates/"))
    name = f"audit-{course.slug}-{period.tag}.zip"
    return Response(stream_with_context(stream_zip(with_manifest(files, period))), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

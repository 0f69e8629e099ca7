"""HR's pages: course dashboards with filters, exports, certificate ZIPs, employee import,
assigning courses; and the administrators' audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

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
from flask_babel import format_date
from sqlalchemy import select

from .. import fields, paging
from ..accounts import activation
from ..accounts.access import login_required, roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import ADMIN, HR, TRAINER, User
from ..accounts.views import flash_sending
from ..audit import chain as audit_chain
from ..audit.downloads import audited_download
from ..audit.labels import ACTIONS, action_label, readable_details
from ..audit.services import AuditFilter, audit_count, chain_entries, entries, entries_page
from ..certificates.models import CertificateStatus
from ..db import session, utcnow
from ..i18n import gettext as _
from ..learning import services as learning
from ..learning.models import Enrolment
from ..params import FIRST_DAY, LAST_DAY, bad_request, int_arg, int_list, iso_day, parse_day
from . import exports, hr, people, roster, summaries
from .archives import stream_zip
from .spreadsheets import csv_chunks, parse_employees, write_xlsx

bp = Blueprint("hr", __name__)


def _filter() -> roster.RosterFilter:
    return roster.filter_of(request.args)


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
    """The roster: filtered, sorted and paged in the database, with every status counted."""
    course = learning.get_course(course_slug) or abort(404)
    now, wanted = utcnow(), _filter()
    found = roster.roster_page(course, wanted, now, page=int_arg("page", 1),
                               per_page=int_arg("per_page", paging.PER_PAGE))
    departments, cohorts = hr.departments_and_cohorts()
    return render_template("lms/hr/course.html", course=course, counts=hr.status_counts(course, now),
                           found=found, rows=found.rows, pager=found.pager, filters=wanted,
                           departments=departments, cohorts=cohorts, statuses=hr.STATUS_LABELS, now=now,
                           certificate_statuses=list(CertificateStatus),
                           args={k: v for k, v in request.args.items() if k != "page"},
                           links=activation.links_offered(), mail=activation.mail_configured())


@bp.get("/hr/courses/<course_slug>/export.<any(csv, xlsx):fmt>")
@roles_required(HR)
def export(course_slug: str, fmt: str):
    """Every row the filters select, in the page's order, built in batches as the file is written."""
    course = learning.get_course(course_slug) or abort(404)
    now = utcnow()
    ids = roster.selected_ids(course, _filter(), now)
    headers = hr.export_headers(course)
    data = hr.export_rows(roster.rows_in_batches(course, ids, now))
    name = f"{course.slug}-{now:%Y%m%d}.{fmt}"
    if fmt == "csv":
        body, mimetype = csv_chunks(headers, data, roster.BATCH), "text/csv"
    else:
        body = write_xlsx(course.title, headers, data)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return audited_download(body, action=f"export.{fmt}", subject=course.slug, actor=load_current_user(),
                            details={"rows": len(ids), "filters": dict(request.args)},
                            mimetype=mimetype, disposition=f'attachment; filename="{name}"')


@bp.get("/hr/courses/<course_slug>/certificates.zip")
@roles_required(HR)
def certificates_zip(course_slug: str):
    """The certificates of the people the filters select: the currently valid ones, or with
    ``include=all`` also their revoked, replaced and expired ones; with ``manifest.csv``."""
    course = learning.get_course(course_slug) or abort(404)
    name, entries, files = exports.certificates_archive(course, request.args, utcnow())
    return audited_download(stream_zip(files), action="export.certificates_zip", subject=course.slug,
                            actor=load_current_user(),
                            details={"certificates": len(entries), "filters": dict(request.args)},
                            mimetype="application/zip", disposition=f'attachment; filename="{name}"')


@bp.post("/hr/courses/<course_slug>/activation-links")
@roles_required(HR)
def send_activation_links(course_slug: str):
    """Email a new activation link to everyone the filters select who has not activated yet."""
    if not (activation.links_offered() and activation.mail_configured()):
        abort(404)
    course = learning.get_course(course_slug) or abort(404)
    waiting = roster.selected_people(course, _filter(), utcnow(), not_activated=True)
    actor = load_current_user()
    users = [user for user in session.scalars(select(User).where(User.id.in_(waiting))
                                              .order_by(User.employee_no))
             if activation.may_create_link(actor, user)] if waiting else []
    if not users:
        flash(_("Everyone selected has activated their account already."), "info")
    else:
        flash_sending(activation.send_links(users, actor))
        session.commit()
    return redirect(url_for(".course", course_slug=course.slug, **request.args))


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
            errors["due_on"] = _day_message()
        elif due_on < hr.local_day(utcnow()):
            errors["due_on"] = _("The due date is in the past.")
        if not errors and request.form.get("confirmed"):
            enrolled, changed = hr.assign_course(
                course, chosen_departments, chosen_cohorts, due_on, load_current_user(),
                enrol_ids=int_list(request.form.getlist("enrol")),
                change_ids=int_list(request.form.getlist("change")))
            flash(_("%(enrolled)d enrolled, %(changed)d due dates changed.", enrolled=enrolled,
                    changed=changed), "success")
            return redirect(url_for(".course", course_slug=course.slug))
        if not errors:
            preview = hr.preview_assignment(course, chosen_departments, chosen_cohorts, due_on)
    return render_template("lms/hr/assign.html", course=course, departments=departments,
                           cohorts=cohorts, errors=errors, form=request.form,
                           preview=preview), 400 if errors else 200


def _day_message() -> str:
    """What a date field that could not be read says: the form a day takes, and its bounds."""
    return _("Give a date as YYYY-MM-DD, between %(first)s and %(last)s.",
             first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())


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
            flash(_("%(name)s is now due %(date)s.", name=enrolment.user.display_name,
                    date=format_date(enrolment.due_at, "long")), "success")
            return redirect(url_for(".course", course_slug=enrolment.course.slug))
        except hr.DueDateError as problem:
            session.rollback()
            error = {"no_date": _day_message(),
                     "reason_invalid": _("A reason has at most %(n)d characters and no control characters.",
                                         n=fields.COMMENT.max_length),
                     "reason_required": _("Give the reason for the extension."),
                     "not_open": _("This enrolment is completed or closed; its due date no longer counts."),
                     "not_later": _("The new due date must be later than the current one and in the future.")
                     }[str(problem)]
    return render_template("lms/hr/extend_due.html", enrolment=enrolment, error=error,
                           form=request.form), 400 if error else 200


#: the longest text the audit log's search takes (a name or a subject is at most 200 characters)
MAX_AUDIT_SEARCH = 200


def _audit_filter() -> tuple[AuditFilter, dict[str, str]]:
    """The audit log's filters from the query string, and a message per field it could not read."""
    errors = {}
    days = {}
    for name in ("from", "to"):
        value = request.args.get(name, "").strip()
        days[name] = parse_day(value)
        if value and days[name] is None:
            errors[name] = _day_message()
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = _("The end of the period comes before its start.")
        days = {"from": None, "to": None}
    text = " ".join(request.args.get("q", "").split())
    if len(text) > MAX_AUDIT_SEARCH:
        errors["q"] = _("Search for at most %(n)d characters.", n=MAX_AUDIT_SEARCH)
        text = ""
    wanted = AuditFilter(action=request.args.get("action") or None, text=text or None,
                         after=hr.start_of_day(days["from"]) if days["from"] else None,
                         until=hr.end_of_day(days["to"]) if days["to"] else None)
    return wanted, errors


@bp.get("/admin/audit")
@roles_required(ADMIN)
def audit_log():
    if request.args.get("format") == "csv":
        return audited_download(audit_chain.write_csv(chain_entries()), action="export.audit_csv",
                                subject="audit", actor=load_current_user(), details={"rows": audit_count()},
                                mimetype="text/csv",
                                disposition='attachment; filename="audit-log.csv"')
    wanted, errors = _audit_filter()
    found, pager = entries_page(wanted, int_arg("page", 1),
                                paging.page_size(int_arg("per_page", paging.PER_PAGE)))
    return render_template("lms/hr/audit.html", entries=found, pager=pager, errors=errors,
                           args={k: v for k, v in request.args.items() if k != "page"},
                           action_label=action_label, readable_details=readable_details,
                           actions=sorted(ACTIONS.items(), key=lambda item: item[0]))


# --- training summary reports (PDF) ----------------------------------------------------------

def _pdf(data: bytes, name: str, title: str | None = None, **audit) -> Response:
    """A PDF download named ``name`` (ASCII); browsers that can show ``title`` + the date use it.
    ``audit``: the entry recorded once it has been sent (``action``, ``subject``, ``actor``, ``details``)."""
    disposition = f'attachment; filename="{name}"'
    if title:
        disposition += f"; filename*=UTF-8''{quote(title)}"
    return audited_download(data, mimetype="application/pdf", disposition=disposition, **audit)


@bp.get("/hr/people/<lms_id:user_id>")
@roles_required(HR)
def person(user_id: int):
    """One person's record: courses and cycles, progress, recorded time, certificates, history."""
    user = session.get(User, user_id) or abort(404)
    return render_template("lms/hr/person.html", record=people.person_record(user, utcnow()), now=utcnow(),
                           statuses=hr.STATUS_LABELS, action_label=action_label,
                           readable_details=readable_details, activated=activation.is_activated(user),
                           may_link=activation.may_create_link(load_current_user(), user),
                           mail=activation.mail_configured())


@bp.get("/reports/enrolments/<lms_id:enrolment_id>.pdf")
@login_required
def trainee_report(enrolment_id: int):
    """A trainee's training summary report: their own, or anyone's for HR and trainers."""
    enrolment = session.get(Enrolment, enrolment_id)
    user = load_current_user()
    if enrolment is None or enrolment.user_id != user.id and not user.has_role(HR, TRAINER):
        abort(404)  # someone else's answers like a missing one
    context = summaries.trainee_report(enrolment)
    data = summaries.render_report_pdf("lms/reports/trainee.html", **context)
    subject = f"{enrolment.user.employee_no or enrolment.user.username}/{enrolment.course.slug}"
    return _pdf(data, f"report-{enrolment.user.employee_no or enrolment.user_id}-{enrolment.course.slug}.pdf",
                action="report.trainee", subject=subject, actor=user)


@bp.get("/courses/<course_slug>/report.pdf")
@login_required
def my_report(course_slug: str):
    course = learning.get_course(course_slug) or abort(404)
    enrolment = learning.current_enrolment(load_current_user(), course) or abort(404)
    return redirect(url_for(".trainee_report", enrolment_id=enrolment.id))


def _period(values=None) -> hr.Period | None:
    """The ``from``/``to`` period of the request; None when none is given; 400 when it is invalid."""
    values = request.args if values is None else values
    given = values.get("from"), values.get("to")
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
    name, data = exports.cohort_pdf(course, period, utcnow())
    suffix = period.tag if period else f"{utcnow():%Y%m%d}"
    return _pdf(data, name, f"{summaries.COHORT_REPORT_TITLE}-{course.title}-{suffix}.pdf",
                action="report.cohort", subject=course.slug, actor=load_current_user(),
                details={"from": period.first.isoformat(), "to": period.last.isoformat()} if period else None)


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
    name, entries, files = exports.audit_bundle(course, period, utcnow())
    return audited_download(stream_zip(files), action="export.audit_bundle", subject=course.slug,
                            actor=load_current_user(),
                            details={"from": period.first.isoformat(), "to": period.last.isoformat(),
                                     "certificates": len(entries)},
                            mimetype="application/zip", disposition=f'attachment; filename="{name}"')


# --- large exports, made by the worker -------------------------------------------------------

@bp.post("/hr/courses/<course_slug>/exports/<any(certificates_zip, audit_bundle, cohort_pdf):kind>")
@roles_required(HR, TRAINER)
def start_export(course_slug: str, kind: str):
    """Ask the worker for a large export (the page's filters or period come along); HR then
    follows its progress and downloads it when it is ready."""
    course = learning.get_course(course_slug) or abort(404)
    user = load_current_user()
    if kind != exports.COHORT_PDF and not user.has_role(HR):
        abort(403)
    params = {key: value for key, value in request.values.items() if key != "csrf_token" and value}
    period = _period(params)
    if kind == exports.AUDIT_BUNDLE and period is None:
        bad_request(_("Give the period as two dates, YYYY-MM-DD."))
    try:
        export = exports.request_export(kind, course, params, user)
    except exports.TooManyExports:
        flash(_("You have %(n)d exports being prepared: ask for another once one of them is ready.",
                n=exports.MAX_UNFINISHED), "error")
        return redirect(url_for(".my_exports"))
    session.commit()
    return redirect(url_for(".export_status", token=export.token))


@bp.get("/hr/exports/")
@roles_required(HR, TRAINER)
def my_exports():
    return render_template("lms/reports/exports.html", exports=exports.recent_exports(load_current_user()),
                           now=utcnow(), downloadable=exports.downloadable)


@bp.get("/hr/exports/<token>")
@roles_required(HR, TRAINER)
def export_status(token: str):
    export = exports.find_export(token, load_current_user()) or abort(404)
    return render_template("lms/reports/export.html", export=export,
                           is_downloadable=exports.downloadable(export))


@bp.get("/hr/exports/<token>.json")
@roles_required(HR, TRAINER)
def export_progress(token: str):
    """What the progress page polls (lms/static/export.js)."""
    export = exports.find_export(token, load_current_user()) or abort(404)
    ready = exports.downloadable(export)
    return jsonify(state=export.state, done=export.done, total=export.total, percent=export.percent,
                   download_url=url_for(".export_download", token=token) if ready else None)


@bp.get("/hr/exports/<token>/download")
@roles_required(HR, TRAINER)
def export_download(token: str):
    """The finished file, for the person who asked for it, until it expires; audited."""
    user = load_current_user()
    export = exports.find_export(token, user) or abort(404)
    if not exports.downloadable(export):
        abort(410 if export.state in (exports.DONE, exports.EXPIRED) else 409)
    params = export.params
    details = {key: params[key] for key in ("from", "to") if key in params}
    if export.kind != exports.AUDIT_BUNDLE:
        details["filters"] = {k: v for k, v in params.items() if k not in ("from", "to")}
    mimetype = "application/pdf" if export.kind == exports.COHORT_PDF else "application/zip"
    return audited_download(_file_chunks(exports.file_of(export)), action=EXPORT_ACTIONS[export.kind],
                            subject=export.course.slug, actor=user,
                            details={**details, "file": export.file_name, "bytes": export.size},
                            mimetype=mimetype, disposition=f'attachment; filename="{export.file_name}"')


def _file_chunks(path, size: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(size):
            yield chunk


EXPORT_ACTIONS = {exports.CERTIFICATES_ZIP: "export.certificates_zip",
                  exports.AUDIT_BUNDLE: "export.audit_bundle", exports.COHORT_PDF: "report.cohort"}

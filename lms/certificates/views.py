"""Public verification of certificates, and downloading the stored PDFs."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from werkzeug.exceptions import TooManyRequests

from .. import fields
from ..accounts.access import login_required, roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import ADMIN, HR, TRAINER
from ..audit.downloads import audited_download
from ..db import session, utcnow
from ..i18n import gettext as _
from ..throttle import address_key
from ..transaction import reads_only
from . import services
from .models import Certificate

bp = Blueprint("certificates", __name__)

MAX_UPLOAD = 10 * 1024 * 1024


def _throttled() -> None:
    """Every look-up counts against the client address's allowance (``LMS_VERIFY_LIMIT``)."""
    throttle = current_app.extensions["lms.throttles"].verify
    address = address_key(request.remote_addr)
    if not throttle.hit(address):
        raise TooManyRequests(retry_after=throttle.retry_after(address))


@bp.route("/verify/", methods=["GET", "POST"])
@reads_only  # the throttle counts on a connection of its own: this request must not hold the write lock
def verify_form():
    """Look a certificate up by its serial, or check an uploaded PDF against what was issued."""
    result = None
    if request.method == "POST":
        _throttled()
        upload = request.files.get("pdf")
        serial = request.form.get("serial", "").strip()
        if upload and upload.filename:
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) <= MAX_UPLOAD:
                result = {"verification": services.verify_pdf(data), "checked_file": upload.filename}
            else:
                flash(_("The file is larger than any certificate: choose the certificate PDF."), "warning")
        elif serial and not fields.is_valid(serial, fields.SERIAL):
            flash(_("A certificate number has at most %(n)d characters, as printed on the certificate.",
                    n=fields.SERIAL.max_length), "warning")
        elif serial:
            return redirect(url_for(".verify", serial=services.normalise_serial(serial)))
        else:
            flash(_("Enter a certificate number or choose a PDF file."), "warning")
    return render_template("lms/certificates/verify_form.html", result=result,
                           now=utcnow(), masked=services.masked_name), 200


@bp.get("/verify/<serial>")
def verify(serial: str):
    _throttled()
    certificate = services.find(serial)
    if certificate is None:
        return render_template("lms/certificates/not_found.html", serial=serial), 404
    return render_template("lms/certificates/verify.html", certificate=certificate, now=utcnow(),
                           masked=services.masked_name(certificate.holder_name))


def _may_download(certificate: Certificate) -> bool:
    user = load_current_user()
    return certificate.user_id == user.id or user.has_role(HR, TRAINER, ADMIN)


@bp.get("/certificates/<serial>.pdf")
@login_required
def download(serial: str):
    certificate = services.find(serial)
    if certificate is None or not _may_download(certificate):
        abort(404)  # someone else's answers like a missing one
    return audited_download(certificate.pdf, action="certificate.downloaded", subject=certificate.serial,
                            actor=load_current_user(), mimetype="application/pdf",
                            disposition=f'attachment; filename="{certificate.serial}.pdf"')


@bp.route("/hr/certificates/<serial>", methods=["GET", "POST"])
@roles_required(HR)
def manage(serial: str):
    """A certificate's record for HR: status, history, revoke, re-issue."""
    certificate = services.find(serial) or abort(404)
    error = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "revoke":
                reason = request.form.get("reason", "")
                if not request.form.get("confirmed"):
                    services.check_revocable(certificate, reason)
                    return render_template("lms/certificates/manage.html", certificate=certificate,
                                           now=utcnow(), error=None, reason=reason, confirm_revoke=True)
                services.revoke(certificate, reason, load_current_user())
                flash(_("Certificate %(serial)s revoked.", serial=certificate.serial), "success")
            elif action == "refresher":
                fresh = services.start_refresher(certificate, load_current_user())
                if fresh is None:
                    raise services.CertificateError("no_refresher")
                flash(_("%(name)s is enrolled for the refresher, due %(date)s.",
                        name=certificate.holder_name, date=format_date(fresh.due_at, "long")), "success")
            elif action == "reenrol":
                fresh = services.reenrol_after_revocation(certificate, load_current_user())
                flash(_("%(name)s is enrolled again, due %(date)s.", name=certificate.holder_name,
                        date=format_date(fresh.due_at, "long")), "success")
            elif action == "reissue":
                new = services.reissue(certificate, load_current_user())
                flash(_("Re-issued as %(serial)s.", serial=new.serial), "success")
                return redirect(url_for(".manage", serial=new.serial))
            return redirect(url_for(".manage", serial=certificate.serial))
        except services.CertificateError as problem:
            session.rollback()
            error = {"reason_required": _("Give the reason for revoking."),
                     "reason_invalid": _("A reason has at most %(n)d characters and no control characters.",
                                         n=fields.COMMENT.max_length),
                     "already_revoked": _("This certificate is already revoked."),
                     "already_superseded": _("This certificate was already re-issued."),
                     "revoked": _("A revoked certificate is not re-issued: enrol the holder again to "
                                  "earn a new one."),
                     "no_refresher": _("A refresher was already started, or the certificate is not "
                                       "current."),
                     "not_revoked": _("Only the holder of a revoked certificate is enrolled again here."),
                     "already_enrolled": _("The holder is already enrolled for a later cycle of this "
                                           "course.")}[str(problem)]
            certificate = services.find(serial)
    return render_template("lms/certificates/manage.html", certificate=certificate, now=utcnow(),
                           error=error, reason=request.form.get("reason", "")), 400 if error else 200

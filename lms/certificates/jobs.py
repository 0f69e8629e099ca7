"""The certificate jobs: issue one completion's certificate; enqueue every pending one."""

from __future__ import annotations

from flask import current_app

from ..audit.services import record
from ..db import session
from ..jobs import enqueue, job
from ..learning.models import Enrolment
from ..transaction import deferred, immediate
from ..urls import PublicUrlMissing
from . import services
from .models import Certificate


@job(retries=3, retry_delay=60)
def issue_certificate(enrolment_id: int) -> str | None:
    """Render, sign, check and store the certificate of a completed enrolment; a no-op when it
    already has one. The rendering only reads (the site's writers are not held up meanwhile);
    storing it checks again. A failure is recorded for HR and the job retried; killed
    mid-render, it left nothing behind and the completion is found again by ``enqueue_pending``."""
    try:
        with deferred():
            enrolment = session.get(Enrolment, enrolment_id)
            prepared = services.prepare_issue(enrolment) if enrolment is not None else None
            session.commit()  # ends the reading transaction: what follows writes
        if prepared is None:
            return None
        with immediate():  # checked again and stored under the write lock, as a request writes
            certificate = services.issue_if_complete(session.get(Enrolment, enrolment_id), prepared=prepared)
    except Exception as error:
        session.rollback()
        current_app.logger.exception("issuing the certificate of enrolment %s failed", enrolment_id)
        enrolment = session.get(Enrolment, enrolment_id)
        record("certificate.issue_failed", services.issue_subject(enrolment), None,
               {"holder": enrolment.user.display_name, "error": f"{type(error).__name__}: {error}"[:500]})
        session.commit()
        if isinstance(error, PublicUrlMissing):
            return None  # a retry cannot help; `lms certificates issue-pending` once it is set
        raise
    return certificate.serial if certificate is not None else None


@job(retries=0, every={"minute": "17"})
def enqueue_pending() -> int:
    """Enqueue the certificate of every completion still without one (hourly, and when a worker
    starts): what a worker killed mid-render, or a failure past its retries, left pending."""
    pending = services.pending_completions()
    for enrolment_id in pending:
        enqueue(issue_certificate, enrolment_id)
    return len(pending)


@job(retries=3, retry_delay=60)
def reissue_certificate(certificate_id: int) -> str | None:
    """Re-issue one certificate (bulk re-issues queue one job each); a no-op once it is superseded,
    or revoked since it was queued."""
    with deferred():  # rendered without holding up the site's writers, as an issue is
        certificate = session.get(Certificate, certificate_id)
        prepared = services.prepare_reissue(certificate) if certificate is not None else None
        session.commit()
    if prepared is None:
        return None
    with immediate():
        try:
            return services.reissue(session.get(Certificate, certificate_id), None, prepared=prepared).serial
        except services.CertificateError:
            return None  # re-issued or revoked while it was rendered


@job(retries=2, retry_delay=300)
def start_refreshers(within_days: int) -> int:
    """``lms certificates recertify --enqueue``: each refresher is started once (an archived
    cycle is skipped), so a retry only does what is left."""
    return len(services.start_refreshers(services.expiring_within(within_days)))

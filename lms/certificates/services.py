"""Completing a course and issuing its certificate; revoking and re-issuing; verifying.

The request that meets the last requirement records the completion and enqueues the
certificate (``jobs.issue_certificate``); rendering runs in the worker. Issuing is idempotent:
one current certificate per enrolment, enforced by a unique index, so a retried or repeated job
never issues twice, and a failure issues nothing (the job is retried; ``lms certificates
issue-pending`` and every worker start enqueue the completions still without a certificate).
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..accounts.models import User
from ..assessments.models import CASE, GRADED, QUIZ, SCENARIO, QuizAttempt, ScenarioPlay
from ..assessments.summaries import SUMMARY_SLUG
from ..audit.models import AuditEntry
from ..audit.services import record
from ..content.course import DEFAULT_CERTIFICATE, DEFAULT_COMPLETION
from ..db import session, utcnow
from ..learning import services as learning
from ..learning.models import Enrolment
from ..learning.reading import ReadingTime
from ..progress import SILENT, Progress
from ..signals import enrolled, progress_changed
from ..urls import public_url
from .models import Certificate
from .signing import MISSING, SignatureCheck

SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U


class CertificateError(ValueError):
    pass


# --- completion ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    key: str  # modules, quizzes, scenarios, summary
    done: int
    total: int

    @property
    def is_met(self) -> bool:
        return self.done >= self.total


def requirements(status: learning.CourseStatus) -> list[Requirement]:
    """What the course's completion rules ask for, and how far the trainee is."""
    rules = {**DEFAULT_COMPLETION, **status.course.settings.get("completion", {})}
    named = {a.slug: a for m in status.modules for a in status.activities_of(m.module)}
    found = []
    if rules["modules"]:
        found.append(Requirement("modules", status.completed_count, len(status.modules)))
    if rules["quizzes"]:
        quizzes = [a for a in named.values() if a.kind in (QUIZ, CASE)]
        found.append(Requirement("quizzes", sum(a.is_done for a in quizzes), len(quizzes)))
    if rules["scenarios"]:
        minimum = rules.get("scenario_min_score")
        scenarios = [a for a in named.values() if a.kind == SCENARIO]
        done = sum(a.is_done and (minimum is None or (a.score or 0) >= minimum) for a in scenarios)
        found.append(Requirement("scenarios", done, len(scenarios)))
    if rules["summary"] and SUMMARY_SLUG in named:
        found.append(Requirement("summary", int(named[SUMMARY_SLUG].is_done), 1))
    return found


#: Why a complete enrolment has no certificate yet, as the trainee is told: it is being
#: generated (证书生成中), the site's configuration is unfinished, or generating it failed.
PENDING_RENDERING, PENDING_CONFIGURATION, PENDING_ERROR = "rendering", "configuration", "error"


@dataclass(frozen=True)
class CertificateLines:
    """The current certificate of each enrolment shown, and why a complete one has none yet; on
    the dashboard also the trainee's earlier ones (:data:`IS_PAST`), newest first."""

    issued: dict[int, Certificate]
    pending: dict[int, str]
    past: list[Certificate] = field(default_factory=list)

    @property
    def is_rendering(self) -> bool:
        return PENDING_RENDERING in self.pending.values()


def certificates_of(statuses: list[learning.CourseStatus], past_of: User | None = None) -> CertificateLines:
    """Each enrolment's certificate; a complete one without it is pending, with the reason.
    Nothing is issued here: the worker does (see ``jobs.issue_certificate``). With ``past_of``,
    that user's earlier certificates too, read in the same query."""
    enrolment_ids = [status.enrolment.id for status in statuses]
    if past_of is None:
        issued, past = latest_certificates(enrolment_ids), []
    else:
        issued, past = _certificates_of_user(past_of, enrolment_ids)
    pending = {}
    for status in statuses:
        if status.enrolment.id in issued:
            continue
        if status.enrolment.completed_at is not None and not status.enrolment.is_archived:
            pending[status.enrolment.id] = pending_reason(status.enrolment)
    return CertificateLines(issued, pending, past)


def pending_reason(enrolment: Enrolment) -> str:
    if not current_app.config.get("LMS_PUBLIC_URL"):
        return PENDING_CONFIGURATION
    failed = session.scalar(select(AuditEntry.created_at).where(
        AuditEntry.action == "certificate.issue_failed", AuditEntry.subject == issue_subject(enrolment))
        .order_by(AuditEntry.id.desc()).limit(1))
    if failed is not None and failed >= enrolment.completed_at:
        return PENDING_ERROR
    return PENDING_RENDERING


def issue_subject(enrolment: Enrolment) -> str:
    """How the audit log names an enrolment's certificate before it has a serial."""
    return f"{enrolment.user.employee_no or enrolment.user.username}/{enrolment.course.slug}"


#: A certificate not replaced by a later one of its enrolment (it may be revoked or expired).
IS_CURRENT = Certificate.superseded_by_id.is_(None)
#: An earlier certificate: of an archived cycle, or replaced.
IS_PAST = Enrolment.is_archived.is_(True) | Certificate.superseded_by_id.is_not(None)

#: Built once: the course page and the dashboard run them on every view.
_LATEST_CERTIFICATES = (select(Certificate)
                        .where(Certificate.enrolment_id.in_(bindparam("enrolment_ids", expanding=True)),
                               IS_CURRENT)
                        .order_by(Certificate.id))
_USER_CERTIFICATES = (select(Certificate, IS_CURRENT.label("is_current"), IS_PAST.label("is_past"))
                      .join(Enrolment, Certificate.enrolment_id == Enrolment.id)
                      .where(Certificate.user_id == bindparam("user_id"))
                      .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))


def _certificates_of_user(user: User, enrolment_ids: list[int]) -> tuple[dict[int, Certificate],
                                                                        list[Certificate]]:
    """The latest certificate of each of these enrolments, and the user's past ones, newest first."""
    rows = session.execute(_USER_CERTIFICATES, {"user_id": user.id}).all()
    wanted = set(enrolment_ids)
    latest: dict[int, Certificate] = {}
    for certificate, is_current, _is_past in rows:
        known = latest.get(certificate.enrolment_id)
        if is_current and certificate.enrolment_id in wanted and (known is None or certificate.id > known.id):
            latest[certificate.enrolment_id] = certificate  # the newest, should there be two
    return latest, [certificate for certificate, _is_current, is_past in rows if is_past]


def latest_certificates(enrolment_ids: list[int]) -> dict[int, Certificate]:
    """Each enrolment's certificate that is not superseded (it may be revoked or expired), the
    newest should there be two; one query for them all."""
    if not enrolment_ids:
        return {}
    found = session.scalars(_LATEST_CERTIFICATES, {"enrolment_ids": enrolment_ids})
    return {certificate.enrolment_id: certificate for certificate in found}


def current_certificate(enrolment: Enrolment) -> Certificate | None:
    """The enrolment's certificate that is not superseded (it may be revoked or expired)."""
    return latest_certificates([enrolment.id]).get(enrolment.id)


def met_requirements(enrolment: Enrolment) -> learning.CourseStatus | None:
    """The enrolment's status when every completion requirement is met, else None."""
    status = learning.course_status(enrolment.course, enrolment)
    reqs = requirements(status)
    return status if reqs and all(r.is_met for r in reqs) else None


def complete(enrolment: Enrolment, now: datetime | None = None) -> bool:
    """Record the completion once every requirement is met, and enqueue its certificate after
    the caller's transaction commits. True when the enrolment is (now) complete."""
    from ..jobs import enqueue_after_commit
    from .jobs import issue_certificate

    if enrolment.is_archived or current_certificate(enrolment) is not None:
        return False
    if enrolment.completed_at is None:
        if met_requirements(enrolment) is None:
            return False
        enrolment.completed_at = now or utcnow()
        session.flush()
    enqueue_after_commit(issue_certificate, enrolment.id)
    return True


def issue_if_complete(enrolment: Enrolment, now: datetime | None = None,
                      prepared: Prepared | None = None) -> Certificate | None:
    """Issue the enrolment's certificate (recording the completion if need be) once every
    requirement is met; at most once: a certificate issued meanwhile by another worker is
    returned instead (the unique index on current certificates decides). ``prepared``: the
    certificate ``prepare_issue`` rendered for it a moment ago, stored if all still holds."""
    if enrolment.is_archived or current_certificate(enrolment) is not None:
        return None
    status = met_requirements(enrolment)
    if status is None:
        return None
    now = prepared.issued_at if prepared is not None else now or utcnow()
    try:
        with session.begin_nested():
            if enrolment.completed_at is None:
                enrolment.completed_at = now
            if prepared is None:
                prepared = _prepare(enrolment, status, now)
            return _store(enrolment, prepared)
    except IntegrityError:
        existing = current_certificate(enrolment)
        if existing is None:
            raise
        return existing


def prepare_issue(enrolment: Enrolment, now: datetime | None = None) -> Prepared | None:
    """The certificate ``issue_if_complete`` would issue now, rendered and signed but not stored;
    None when there is none to issue. Only reads: the worker renders it without holding up the
    site's writers, then stores it with ``issue_if_complete(…, prepared=…)``."""
    if enrolment.is_archived or current_certificate(enrolment) is not None:
        return None
    status = met_requirements(enrolment)
    return _prepare(enrolment, status, now or utcnow()) if status is not None else None


def pending_completions() -> list[int]:
    """Enrolments completed without a current certificate: what the worker still has to issue."""
    issued = select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id,
                                          Certificate.superseded_by_id.is_(None))
    return list(session.scalars(select(Enrolment.id).where(
        Enrolment.completed_at.is_not(None), Enrolment.is_archived.is_(False), ~issued.exists())
        .order_by(Enrolment.completed_at)))


@dataclass(frozen=True)
class Prepared:
    """A certificate rendered, signed and checked, not yet stored."""

    serial: str
    snapshot: dict[str, Any]
    pdf: bytes
    issued_at: datetime
    expires_at: datetime | None
    course_versions: dict[str, Any]


def _prepare(enrolment: Enrolment, status: learning.CourseStatus, now: datetime,
             expires_at: datetime | None | type[Ellipsis] = ...) -> Prepared:
    """Everything the certificate holds, read and rendered: the slow part, which writes nothing."""
    course, user = enrolment.course, enrolment.user
    settings = {**DEFAULT_CERTIFICATE, **course.settings.get("certificate", {})}
    if expires_at is ...:
        months = settings.get("validity_months")
        expires_at = add_months(now, months) if months else None
    serial = new_serial(now)
    snapshot = snapshot_of(serial, user.display_name, user.employee_no, user.department, course.title,
                           status.reading, overall_score(enrolment), now, expires_at,
                           settings["issuer"] or current_app.config["LMS_ISSUER"], settings)
    return Prepared(serial, snapshot, render(snapshot, course), now, expires_at,
                    course_versions(enrolment, status))


def _store(enrolment: Enrolment, prepared: Prepared, actor: User | None = None) -> Certificate:
    user = enrolment.user
    certificate = Certificate(serial=prepared.serial, enrolment_id=enrolment.id, user_id=user.id,
                              course_id=enrolment.course_id, snapshot=prepared.snapshot,
                              score=prepared.snapshot["score"], course_versions=prepared.course_versions,
                              pdf=prepared.pdf, sha256=hashlib.sha256(prepared.pdf).hexdigest(),
                              issued_at=prepared.issued_at, expires_at=prepared.expires_at)
    session.add(certificate)
    session.flush()
    record("certificate.issued", prepared.serial, actor,
           {"holder": user.display_name, "employee_no": user.employee_no, "course": enrolment.course.slug,
            "sha256": certificate.sha256})
    return certificate


def snapshot_of(serial: str, holder_name: str, employee_no: str | None, department: str | None,
                course_title: str, reading: ReadingTime, score: float | None, issued_at: datetime,
                expires_at: datetime | None, issuer: str, settings: dict[str, Any]) -> dict[str, Any]:
    """What a certificate freezes and prints (``CertificateSnapshot``): the one definition, used
    when issuing and by ``lms demo``."""
    return {
        "serial": serial, "holder_name": holder_name, "employee_no": employee_no,
        "department": department, "course_title": course_title,
        "hours": reading.credited_hours, "reading": reading.to_json(),
        "score": score, "issued_on": local_date(issued_at).isoformat(),
        "expires_on": local_date(expires_at).isoformat() if expires_at else None,
        "verify_url": verify_url(serial), "issuer": issuer,
        "signatory_name": settings["signatory"], "signatory_title": settings["signatory_title"],
    }


def write_template(course, scratch: Path) -> Path | None:
    """Write the course's own certificate template out of the database into ``scratch``;
    None when the course uses the default design."""
    from ..learning.models import CourseAsset

    folder = course.settings.get("certificate", {}).get("template")
    if not folder:
        return None
    root = scratch / course.slug
    for asset in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id,
                                                           CourseAsset.path.startswith(f"{folder}/"))):
        target = root / asset.path[len(folder) + 1:]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(asset.data)
    return root


def render(snapshot: dict[str, Any], course) -> bytes:
    """The certificate PDF, in the course's own template when it has one, signed and checked:
    a PDF that fails the check raises, and nothing is issued."""
    from ..brand import logo_data_uri
    from .render import issue_pdf
    from .signing import signing_keys
    from .snapshot import CertificateSnapshot

    keys = signing_keys(current_app)
    with tempfile.TemporaryDirectory() as scratch:
        return issue_pdf(CertificateSnapshot.from_json(snapshot), keys, write_template(course, Path(scratch)),
                         logo_data_uri(current_app))


def overall_score(enrolment: Enrolment) -> float | None:
    """The enrolment's overall score (``score_of_bests``) from its graded attempts."""
    best: dict[int, float] = {}
    for activity_id, score in session.execute(
            select(QuizAttempt.activity_id, QuizAttempt.score).where(QuizAttempt.enrolment_id == enrolment.id,
                                                                     QuizAttempt.state == GRADED)):
        best[activity_id] = max(best.get(activity_id, 0.0), score or 0.0)
    return score_of_bests(best.values())


def score_of_bests(best: Iterable[float]) -> float | None:
    """The overall score of a trainee in a course: the mean of their best score in each graded
    quiz and case study, to one decimal; None with no graded attempt. (The cohort report counts
    the same mean in SQL, ``reports.summaries``.)"""
    best = list(best)
    return round(sum(best) / len(best), 1) if best else None


def course_versions(enrolment: Enrolment, status: learning.CourseStatus) -> dict[str, Any]:
    """The revision of every module and activity the trainee completed: the policy text they
    were trained on."""
    modules = {s.module.slug: {"revision": s.progress.revision.number, "sha256": s.progress.revision.sha256}
               for s in status.modules if s.progress is not None and s.progress.revision is not None}
    activities: dict[str, Any] = {}
    for attempt in session.scalars(select(QuizAttempt).where(
            QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.is_passed.is_(True))):
        activities[attempt.activity.slug] = {"revision": attempt.revision.number,
                                             "sha256": attempt.revision.sha256}
    for play in session.scalars(select(ScenarioPlay).where(
            ScenarioPlay.enrolment_id == enrolment.id, ScenarioPlay.is_passed.is_(True))):
        activities[play.activity.slug] = {"revision": play.revision.number, "sha256": play.revision.sha256}
    return {"modules": modules, "activities": activities}


@progress_changed.connect
def _on_progress(enrolment: Enrolment, **_: object) -> None:
    complete(enrolment)


# --- serials, dates, URLs ----------------------------------------------------------------------

def new_serial(now: datetime) -> str:
    """An unguessable serial: PREFIX-YEAR-XXXX-XXXX."""
    prefix = current_app.config["LMS_CERTIFICATE_PREFIX"]
    while True:
        code = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(8))
        serial = f"{prefix}-{now.year}-{code[:4]}-{code[4:]}"
        if session.scalar(select(Certificate.id).where(Certificate.serial == serial)) is None:
            return serial


def normalise_serial(text: str) -> str:
    return text.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")


def local_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(current_app.config["LMS_TIMEZONE"])).date()


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in (moment.day, 30, 29, 28):  # the 31st of a shorter month becomes its last day
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def verify_url(serial: str) -> str:
    """The public verification URL printed and QR-coded on a certificate."""
    return public_url("lms.certificates.verify", serial=serial)


def masked_name(name: str) -> str:
    """张三 → 张*, 王小明 → 王**, John Smith → J*** S****: enough to recognise, not to harvest."""
    if any(ord(c) > 0x2E80 for c in name):
        return name[:1] + "*" * max(1, len(name) - 1)
    return " ".join(word[:1] + "*" * max(1, len(word) - 1) for word in name.split())


# --- HR actions ------------------------------------------------------------------------------

def find(serial: str) -> Certificate | None:
    if not fields.is_valid(serial, fields.SERIAL):
        return None
    return session.scalar(select(Certificate).where(Certificate.serial == normalise_serial(serial)))


def find_by_pdf(data: bytes) -> Certificate | None:
    return session.scalar(select(Certificate).where(
        Certificate.sha256 == hashlib.sha256(data).hexdigest()))


@dataclass(frozen=True)
class PdfVerification:
    """A PDF checked two ways: its signature, and the issued record with exactly its SHA-256."""

    certificate: Certificate | None
    signature: SignatureCheck

    @property
    def is_valid(self) -> bool:
        return self.certificate is not None and self.signature.is_valid

    @property
    def is_unsigned_record(self) -> bool:
        """An issued certificate stored before certificates were signed (``lms certificates sign``)."""
        return self.certificate is not None and self.signature.status == MISSING


def verify_pdf(data: bytes) -> PdfVerification:
    """Both checks always run, so the answer says which one failed: a stored PDF replaced along
    with its hash column passes the record check and fails the signature check."""
    from .signing import check_signature, signing_keys

    return PdfVerification(find_by_pdf(data), check_signature(data, signing_keys(current_app)))


def sign_unsigned(certificate: Certificate) -> tuple[str, str] | None:
    """Sign a certificate stored before signing existed, as an incremental update (its original
    bytes stay the prefix of the new ones); stores the new bytes and hash and audits both hashes.
    Returns (old, new) SHA-256, or None when the stored PDF already carries a signature."""
    from .signing import check_signature, sign_pdf, signing_keys

    keys = signing_keys(current_app)
    original = certificate.pdf
    if check_signature(original, keys).status != MISSING:
        return None
    signed = sign_pdf(original, keys, location=certificate.snapshot.get("issuer"))
    if not signed.startswith(original) or not check_signature(signed, keys).is_valid:
        raise CertificateError("signing did not keep the original bytes")  # never store that
    old, new = certificate.sha256, hashlib.sha256(signed).hexdigest()
    certificate.pdf, certificate.sha256 = signed, new
    session.flush()
    record("certificate.signed", certificate.serial, None, {"old_sha256": old, "sha256": new})
    return old, new


def check_revocable(certificate: Certificate, reason: str) -> None:
    if not reason.strip():
        raise CertificateError("reason_required")
    if not fields.is_valid(reason, fields.COMMENT):
        raise CertificateError("reason_invalid")
    if certificate.revoked_at is not None:
        raise CertificateError("already_revoked")
    if certificate.superseded_by_id is not None:  # its replacement is the one that certifies
        raise CertificateError("already_superseded")


def revoke(certificate: Certificate, reason: str, actor: User, now: datetime | None = None) -> None:
    """Revoke with HR's reason, which stays internal: the public verification page never shows it."""
    check_revocable(certificate, reason)
    reason = fields.clean(reason, fields.COMMENT)
    certificate.revoked_at, certificate.revoked_reason = now or utcnow(), reason
    certificate.revoked_by_id = actor.id if actor else None
    session.flush()
    record("certificate.revoked", certificate.serial, actor, {"reason": reason})


def reissue(certificate: Certificate, actor: User | None, now: datetime | None = None,
            prepared: Prepared | None = None) -> Certificate:
    """A new certificate from the holder's current details; the old one points to it.

    The new one keeps the old one's expiry: re-issuing corrects a certificate, it does not
    extend the training's validity. A revoked certificate is not re-issued: that would undo the
    revocation (its holder is enrolled again to earn a new one). ``prepared``: the new one as
    ``prepare_reissue`` rendered it a moment ago."""
    _check_reissuable(certificate)
    if prepared is None:
        prepared = _prepare_reissue(certificate, now or utcnow())
    certificate.superseded_at = prepared.issued_at  # first: the new one is the enrolment's only current one
    session.flush()
    new = _store(certificate.enrolment, prepared, actor)
    certificate.superseded_by_id = new.id
    session.flush()
    record("certificate.reissued", certificate.serial, actor, {"new_serial": new.serial})
    return new


def prepare_reissue(certificate: Certificate, now: datetime | None = None) -> Prepared | None:
    """The certificate ``reissue`` would make, rendered but not stored (only reads); None when
    the certificate is not to be re-issued (revoked, or re-issued meanwhile)."""
    try:
        _check_reissuable(certificate)
    except CertificateError:
        return None
    return _prepare_reissue(certificate, now or utcnow())


def _check_reissuable(certificate: Certificate) -> None:
    if certificate.revoked_at is not None:
        raise CertificateError("revoked")
    if certificate.superseded_by_id is not None:
        raise CertificateError("already_superseded")


def _prepare_reissue(certificate: Certificate, now: datetime) -> Prepared:
    enrolment = certificate.enrolment
    status = learning.course_status(enrolment.course, enrolment)
    return _prepare(enrolment, status, now, expires_at=certificate.expires_at)


def current_certificates(course) -> list[Certificate]:
    """The course's certificates that certify something now (valid or expiring)."""
    now = utcnow()
    return [certificate for certificate in session.scalars(
        select(Certificate).where(Certificate.course_id == course.id, Certificate.revoked_at.is_(None),
                                  Certificate.superseded_by_id.is_(None)).order_by(Certificate.id))
            if certificate.status(now).is_current]


def expiring_within(days: int, now: datetime | None = None) -> list[Certificate]:
    now = now or utcnow()
    return list(session.scalars(select(Certificate).where(
        Certificate.revoked_at.is_(None), Certificate.superseded_by_id.is_(None),
        Certificate.expires_at.is_not(None), Certificate.expires_at > now,
        Certificate.expires_at <= now + timedelta(days=days)).order_by(Certificate.expires_at)))


# --- recertification -------------------------------------------------------------------------

def start_refresher(certificate: Certificate, actor: User | None,
                    now: datetime | None = None) -> Enrolment | None:
    """Enrol the holder again for the refresher, due when the certificate expires.

    The earlier cycle (its enrolment, progress, attempts and certificate) is archived, not
    deleted: it stays readable in reports and on the verification page."""
    old = certificate.enrolment
    if old.is_archived or certificate.revoked_at is not None or certificate.superseded_by_id is not None:
        return None
    now = now or utcnow()
    course = old.course
    due_at = certificate.expires_at or now + timedelta(days=course.due_days or 30)
    if due_at <= now:
        due_at = now + timedelta(days=course.due_days or 30)
    fresh = _next_cycle(old, "refresher", now, due_at)
    record("enrolment.refresher", certificate.serial, actor,
           {"course": course.slug, "cycle": fresh.cycle, "due_at": due_at.isoformat()})
    return fresh


def _next_cycle(old: Enrolment, source: str, now: datetime, due_at: datetime) -> Enrolment:
    """Archive ``old`` (kept, readable in reports) and enrol its holder for a new cycle."""
    old.is_archived = True
    session.flush()
    fresh = Enrolment(user_id=old.user_id, course_id=old.course_id, cycle=old.cycle + 1,
                      source=source, enrolled_at=now, due_at=due_at)
    session.add(fresh)
    session.flush()
    enrolled.send(fresh)
    return fresh


def reenrol_after_revocation(certificate: Certificate, actor: User | None,
                             now: datetime | None = None) -> Enrolment:
    """Enrol the holder of a revoked certificate again: a new cycle of the course, due after the
    course's usual number of days. The revoked cycle is archived, as a refresher archives one.
    Until the new cycle is completed the holder counts as not completed."""
    old = certificate.enrolment
    if certificate.revoked_at is None:
        raise CertificateError("not_revoked")
    if certificate.superseded_by_id is not None:
        raise CertificateError("already_superseded")
    if old.is_archived:
        raise CertificateError("already_enrolled")
    now = now or utcnow()
    course = old.course
    fresh = _next_cycle(old, "recertification", now, now + timedelta(days=course.due_days or 30))
    record("enrolment.recertification", certificate.serial, actor,
           {"holder": certificate.holder_name, "course": course.slug, "cycle": fresh.cycle,
            "due_at": fresh.due_at.isoformat()})
    return fresh


def start_refreshers(certificates: list[Certificate], actor: User | None = None,
                     now: datetime | None = None, progress: Progress = SILENT) -> list[Enrolment]:
    """A refresher for every holder of these certificates (see :func:`expiring_within`)."""
    now = now or utcnow()
    started = []
    for certificate in certificates:
        fresh = start_refresher(certificate, actor, now)
        if fresh is not None:
            started.append(fresh)
        progress.advance(1)
    return started



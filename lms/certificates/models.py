from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, and_, case, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, utcnow
from ..i18n import lazy_gettext
from ..learning.models import Course, Enrolment

EXPIRING_WITHIN = timedelta(days=30)
#: the language of the records HR hands out (exports, ZIP file names and manifests, PDF reports)
RECORDS_LOCALE = "zh_CN"


class CertificateStatus(StrEnum):
    """What a certificate is worth at a given moment: the one definition every page, export,
    archive and count uses (see ``certificate_status``)."""

    VALID = "valid"
    EXPIRING = "expiring"  # valid, and expires within EXPIRING_WITHIN
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # replaced by a re-issued certificate
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        """The status in the user's language."""
        return str(_LABELS[self])

    @property
    def is_current(self) -> bool:
        """Whether the certificate certifies anything right now."""
        return self in (CertificateStatus.VALID, CertificateStatus.EXPIRING)

    @classmethod
    def record_labels(cls) -> dict[CertificateStatus, str]:
        """Each status in the records' language (Chinese), whatever the user's language."""
        from flask_babel import force_locale

        with force_locale(RECORDS_LOCALE):
            return {status: status.label for status in cls}


_LABELS = {
    CertificateStatus.VALID: lazy_gettext("Valid"),
    CertificateStatus.EXPIRING: lazy_gettext("Valid, expiring soon"),
    CertificateStatus.EXPIRED: lazy_gettext("Expired"),
    CertificateStatus.SUPERSEDED: lazy_gettext("Replaced"),
    CertificateStatus.REVOKED: lazy_gettext("Revoked"),
}
VALID, EXPIRING, EXPIRED, SUPERSEDED, REVOKED = CertificateStatus


def certificate_status(revoked_at: datetime | None, superseded_by_id: int | None,
                       expires_at: datetime | None, now: datetime) -> CertificateStatus:
    """A certificate's status at ``now``: revoked, then replaced, then expired, then expiring soon."""
    if revoked_at is not None:
        return CertificateStatus.REVOKED
    if superseded_by_id is not None:
        return CertificateStatus.SUPERSEDED
    if expires_at is not None and expires_at <= now:
        return CertificateStatus.EXPIRED
    if expires_at is not None and expires_at - now <= EXPIRING_WITHIN:
        return CertificateStatus.EXPIRING
    return CertificateStatus.VALID


def certificate_status_column(revoked_at, superseded_by_id, expires_at, now: datetime):
    """SQL: ``certificate_status`` of these certificate columns, built from the same constants,
    for queries that filter, count or sort in the database."""
    return case((revoked_at.is_not(None), CertificateStatus.REVOKED.value),
                (superseded_by_id.is_not(None), CertificateStatus.SUPERSEDED.value),
                (and_(expires_at.is_not(None), expires_at <= now), CertificateStatus.EXPIRED.value),
                (and_(expires_at.is_not(None), expires_at <= now + EXPIRING_WITHIN),
                 CertificateStatus.EXPIRING.value),
                else_=CertificateStatus.VALID.value)


class Certificate(Base):
    """An issued certificate: an immutable record of what was certified, and its PDF."""

    __tablename__ = "lms_certificates"
    #: the certificates of a course by expiry, without reading the stored PDFs (counts, reminders)
    __table_args__ = (Index("ix_lms_certificates_course_expiry", "course_id", "expires_at"),
                      #: one current certificate per enrolment: a retried issuing job cannot
                      #: issue twice (re-issuing marks the old one superseded first)
                      #: an enrolment's certificates with what the roster asks of them, from the
                      #: index alone: in SQLite these columns sit behind the stored PDF
                      Index("ix_lms_certificates_enrolment_state", "enrolment_id", "superseded_by_id",
                            "revoked_at", "expires_at", "issued_at", "course_id", "serial"),
                      #: a person's newest certificate of a course, of any cycle (the roster's)
                      Index("ix_lms_certificates_person_current", "user_id", "course_id",
                            "superseded_by_id", "issued_at", "enrolment_id", "revoked_at",
                            "expires_at", "serial"),
                      Index("uq_lms_certificates_current", "enrolment_id", unique=True,
                            sqlite_where=text("superseded_at IS NULL"),
                            postgresql_where=text("superseded_at IS NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolments.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_courses.id"), index=True)
    #: what the PDF says (holder, course, hours, score, dates, verify URL), frozen at issue
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    #: the revisions the trainee was trained on: {"modules": {slug: sha256}, "activities": {…}}
    course_versions: Mapped[dict[str, Any]] = mapped_column(deferred=True)  # read on one certificate's pages
    score: Mapped[float | None]
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_certificates.id"))
    superseded_at: Mapped[datetime | None]

    enrolment: Mapped[Enrolment] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    def status(self, now: datetime) -> CertificateStatus:
        return certificate_status(self.revoked_at, self.superseded_by_id, self.expires_at, now)

    @property
    def holder_name(self) -> str:
        return self.snapshot["holder_name"]

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, utcnow
from ..learning.models import Course, Enrolment

VALID, EXPIRING, EXPIRED, SUPERSEDED, REVOKED = "valid", "expiring", "expired", "superseded", "revoked"
EXPIRING_WITHIN = timedelta(days=30)


class Certificate(Base):
    """An issued certificate: an immutable record of what was certified, and its PDF."""

    __tablename__ = "lms_certificates"
    #: the certificates of a course by expiry, without reading the stored PDFs (counts, reminders)
    __table_args__ = (Index("ix_lms_certificates_course_expiry", "course_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolments.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_courses.id"), index=True)
    #: what the PDF says (holder, course, hours, score, dates, verify URL), frozen at issue
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    #: the revisions the trainee was trained on: {"modules": {slug: sha256}, "activities": {…}}
    course_versions: Mapped[dict[str, Any]] = mapped_column()
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

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return REVOKED
        if self.superseded_by_id is not None:
            return SUPERSEDED
        if self.expires_at is not None and self.expires_at <= now:
            return EXPIRED
        if self.expires_at is not None and self.expires_at - now <= EXPIRING_WITHIN:
            return EXPIRING
        return VALID

    @property
    def holder_name(self) -> str:
        return self.snapshot["holder_name"]

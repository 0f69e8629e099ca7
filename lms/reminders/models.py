from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class ReminderSent(Base):
    """One reminder that went out, so each step is sent once.

    ``subject_id`` is the enrolment's id for a due-date reminder, the certificate's for an
    expiry reminder, and 0 for the HR digest (whose step is the local date it was sent for).
    """

    __tablename__ = "lms_reminders_sent"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # due, expiry, hr_digest
    subject_id: Mapped[int]
    step: Mapped[str] = mapped_column(String(20))  # 7d, 1d, overdue; 60d, 30d, 7d; 2026-12-01
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipient: Mapped[str] = mapped_column(Text)  # the addresses, comma-separated

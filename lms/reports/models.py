from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, utcnow
from ..learning.models import Course

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Export(Base):
    """A large export (certificate ZIP, audit bundle, cohort report PDF) the worker makes for
    HR: its progress, then the finished file in the instance folder until it expires."""

    __tablename__ = "lms_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the export's address: unguessable, so URLs say nothing about other people's exports
    token: Mapped[str] = mapped_column(String(43), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # certificates_zip, audit_bundle, cohort_pdf
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_courses.id", ondelete="CASCADE"))
    #: the page's query (filters, period) the export was asked with
    params: Mapped[dict[str, Any]] = mapped_column()
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(String(200))  # as downloaded
    size: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship()
    requested_by: Mapped[User] = relationship()

    @property
    def percent(self) -> int:
        if self.state == DONE:
            return 100
        return round(100 * self.done / self.total) if self.total else 0

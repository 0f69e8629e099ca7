from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, utcnow
from ..learning.models import Enrolment

SUMMARY_RETURNED, SUMMARY_APPROVED = "summary_returned", "summary_approved"
ESSAY_GRADED, ASSIGNED, DUE_CHANGED = "essay_graded", "assigned", "due_changed"
KINDS = (SUMMARY_RETURNED, SUMMARY_APPROVED, ESSAY_GRADED, ASSIGNED, DUE_CHANGED)


class Notice(Base):
    """One event in a trainee's training, shown on their dashboard until they open what it links
    to or dismiss it. ``key`` names the event, so it is recorded once however often the request
    that caused it is repeated."""

    __tablename__ = "lms_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolments.id", ondelete="CASCADE"),
                                              index=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: the quiz attempt (ESSAY_GRADED), the summary (SUMMARY_*) or the enrolment (the others)
    subject_id: Mapped[int]
    #: what the message says that may change later: the due dates, the score, the comment
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    enrolment: Mapped[Enrolment] = relationship()

    @property
    def is_open(self) -> bool:
        return self.opened_at is None and self.dismissed_at is None

    @property
    def old_due_at(self) -> datetime | None:
        return _moment(self.data.get("old"))

    @property
    def new_due_at(self) -> datetime | None:
        return _moment(self.data.get("new"))

    @property
    def target(self) -> tuple[str, dict[str, Any]]:
        """The endpoint and its values of the page that shows what changed."""
        if self.kind == ESSAY_GRADED:
            return "lms.assessments.review", {"attempt_id": self.subject_id}
        if self.kind in (SUMMARY_RETURNED, SUMMARY_APPROVED):
            return "lms.assessments.summary", {"course_slug": self.enrolment.course.slug}
        return "lms.learning.course", {"course_slug": self.enrolment.course.slug}


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None

"""Authoring: the history of a course's settings, and drafts not yet published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow

COURSE, MODULE, ACTIVITY = "course", "module", "activity"
#: an image or other file of a course; its draft keeps the bytes as base64 in ``source``
ASSET = "asset"


class CourseRevision(Base):
    """One immutable version of a course's course.yml (modules and activities have their own)."""

    __tablename__ = "lms_course_revisions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_courses.id"), index=True)
    number: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    approved_by: Mapped[str | None] = mapped_column(String(120))
    files: Mapped[list[Any] | None] = mapped_column()


class Draft(Base):
    """Unpublished changes to one item of a course: its settings, a module or an activity.

    Items are named by slugs, so a draft can add a module or a whole course. A draft without
    files retires its item when published.
    """

    __tablename__ = "lms_drafts"
    __table_args__ = (UniqueConstraint("course_slug", "kind", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_slug: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: the course's own slug for its settings, an asset's path in the course folder
    slug: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    #: [[file name, characters], …] splitting ``source`` into its files; [] retires the item
    files: Mapped[list[Any]] = mapped_column()
    #: the published revision the draft started from (None: the item is new)
    base_number: Mapped[int | None]
    #: bumped by every save, so a save from a stale editor is refused
    version: Mapped[int] = mapped_column(default=1)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None]
    review_comment: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_retirement(self) -> bool:
        return not self.files

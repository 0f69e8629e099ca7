from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, utcnow


class Course(Base):
    __tablename__ = "lms_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    hours: Mapped[float] = mapped_column(default=1.0)
    is_sequential: Mapped[bool] = mapped_column(default=False)
    enrol_all_trainees: Mapped[bool] = mapped_column(default=False)
    due_days: Mapped[int | None]
    #: further settings from course.yml, e.g. summary_min_chars, reading.min_share
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )

    @property
    def active_modules(self) -> list[Module]:
        return [module for module in self.modules if not module.is_archived]


class Module(Base):
    """A module's identity and place in its course; its text lives in revisions."""

    __tablename__ = "lms_modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    is_archived: Mapped[bool] = mapped_column(default=False)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_module_revisions.id", use_alter=True)
    )

    course: Mapped[Course] = relationship(back_populates="modules")
    current_revision: Mapped[ModuleRevision | None] = relationship(
        foreign_keys=[current_revision_id], post_update=True, lazy="joined"
    )
    revisions: Mapped[list[ModuleRevision]] = relationship(
        back_populates="module", foreign_keys="ModuleRevision.module_id",
        order_by="ModuleRevision.number",
    )


class ModuleRevision(Base):
    """One immutable version of a module's text, exactly as a trainee saw it."""

    __tablename__ = "lms_module_revisions"
    __table_args__ = (UniqueConstraint("module_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("lms_modules.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int]
    objectives: Mapped[list[str]] = mapped_column(default=list)
    activities: Mapped[list[str]] = mapped_column(default=list)
    #: the large columns load only where read (the module page, exports), not with every module
    source: Mapped[str] = mapped_column(Text, deferred=True)
    html: Mapped[str] = mapped_column(Text, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: why it was published, and who approved it when the course needs four eyes
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    approved_by: Mapped[str | None] = mapped_column(String(120))
    #: the files ``source`` is made of: [[file name, characters], …] (None before authoring)
    files: Mapped[list[Any] | None] = mapped_column()

    module: Mapped[Module] = relationship(back_populates="revisions", foreign_keys=[module_id])


class CourseAsset(Base):
    """An image or other file a module refers to, served from the database."""

    __tablename__ = "lms_course_assets"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_courses.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enrolment(Base):
    """A person assigned a course, for one training cycle."""

    __tablename__ = "lms_enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_courses.id"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    source: Mapped[str] = mapped_column(String(40), default="default")
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    is_archived: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    progress: Mapped[list[ModuleProgress]] = relationship(
        back_populates="enrolment", cascade="all, delete-orphan"
    )


class ModuleProgress(Base):
    """A trainee's reading of one module: when, how long engaged, which revision they finished."""

    __tablename__ = "lms_module_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("lms_enrolments.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("lms_modules.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("lms_module_revisions.id"))
    first_opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    #: engaged reading time, bounded by the wall-clock time between reports
    seconds_spent: Mapped[int] = mapped_column(default=0)
    #: when the trainee first reached the end of the text (completion also needs the time)
    reached_end_at: Mapped[datetime | None]

    enrolment: Mapped[Enrolment] = relationship(back_populates="progress")
    module: Mapped[Module] = relationship()
    revision: Mapped[ModuleRevision] = relationship()

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None



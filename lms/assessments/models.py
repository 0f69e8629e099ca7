"""Assessments: quizzes and case studies, call simulations and the training summary."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, defaultload, mapped_column, object_session, relationship

from ..accounts.models import User
from ..db import Base, utcnow
from ..learning.models import Course, Enrolment

QUIZ, CASE, SCENARIO = "quiz", "case", "scenario"


class Activity(Base):
    """A quiz, case study or call simulation of a course; its content lives in revisions."""

    __tablename__ = "lms_activities"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    is_archived: Mapped[bool] = mapped_column(default=False)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_activity_revisions.id", use_alter=True)
    )

    course: Mapped[Course] = relationship()
    current_revision: Mapped[ActivityRevision | None] = relationship(
        foreign_keys=[current_revision_id], post_update=True, lazy="joined"
    )

    @property
    def title(self) -> str:
        return self.current_revision.title if self.current_revision else self.slug


class ActivityRevision(Base):
    """One immutable version of an activity: its source and what was parsed from it."""

    __tablename__ = "lms_activity_revisions"
    __table_args__ = (UniqueConstraint("activity_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("lms_activities.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, deferred=True)  # read to play a scenario only
    #: settings and content as parsed, with the HTML of every text rendered at import; read
    #: through :attr:`data`, so a revision loaded for its title decodes none of it
    content: Mapped[dict[str, Any]] = mapped_column("data", deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: why it was published, and who approved it when the course needs four eyes
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    approved_by: Mapped[str | None] = mapped_column(String(120))
    #: the files ``source`` is made of: [[file name, characters], …] (None before authoring)
    files: Mapped[list[Any] | None] = mapped_column()

    activity: Mapped[Activity] = relationship(foreign_keys=[activity_id])

    @property
    def data(self) -> dict[str, Any]:
        """:attr:`content`, decoded once per process: a revision never changes once stored, and
        every quiz and simulation page reads it (tens of kilobytes of JSON). Shared by requests:
        read it, never change it."""
        found = self.__dict__.get("_decoded")
        if found is not None:
            return found
        owner = object_session(self)
        if self.id is None or owner is None:
            return self.content
        # the database too: the findings kept with a revision depend on its course, not only on
        # its source (tests and tools open several databases)
        key = (str(owner.get_bind().url), self.id, self.sha256)
        found = _decoded.get(key)
        if found is None:
            found = self.content
            if len(_decoded) >= MAX_DECODED:
                _decoded.clear()
            _decoded[key] = found
        self.__dict__["_decoded"] = found  # this request's later reads: no lookup
        return found


#: For a statement that reads activities to use their current content (a report over all of a
#: course's): the content comes in the same statement, whether or not this process has it decoded.
WITH_CONTENT = defaultload(Activity.current_revision).undefer(ActivityRevision.content)

#: Revisions' content by id and checksum (see ``ActivityRevision.data``); a few quizzes and
#: simulations, each in a version or two.
_decoded: dict[tuple[str, int, str], dict[str, Any]] = {}
MAX_DECODED = 256


IN_PROGRESS, AWAITING_GRADING, GRADED = "in_progress", "awaiting_grading", "graded"


class QuizAttempt(Base):
    """One attempt at a quiz or case study, tied to the revision the trainee saw."""

    __tablename__ = "lms_quiz_attempts"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "activity_id", "number"),
        # At most one open attempt: the key is 1 while open and NULL afterwards.
        UniqueConstraint("enrolment_id", "activity_id", "open_key"),
        # covers the cohort report's scores and hardest questions (no reading past the layouts)
        Index("ix_lms_quiz_attempts_results", "enrolment_id", "state", "activity_id", "revision_id", "score",
              "submitted_at", "marks"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("lms_enrolments.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("lms_activities.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("lms_activity_revisions.id"))
    number: Mapped[int]
    open_key: Mapped[int | None] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(20), default=IN_PROGRESS)
    #: the drawn questions in the order shown, with each one's answer order
    layout: Mapped[list[Any]] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    #: indexed: the latest grading tells whether cached statistics are still current (lms.memo)
    graded_at: Mapped[datetime | None] = mapped_column(index=True)
    score: Mapped[float | None]  # percent, 0–100
    is_passed: Mapped[bool | None]
    #: the graded answers, right or wrong (``grading.marks_text``), written with the score: the
    #: cohort report counts its hardest questions from attempts, not from every answer
    marks: Mapped[str | None] = mapped_column(Text)

    enrolment: Mapped[Enrolment] = relationship()
    activity: Mapped[Activity] = relationship()
    revision: Mapped[ActivityRevision] = relationship()
    responses: Mapped[list[AttemptResponse]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", lazy="selectin"
    )


class AttemptResponse(Base):
    """The trainee's answer to one question of an attempt, saved as they go."""

    __tablename__ = "lms_attempt_responses"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_key"),
        # covers the cohort report's count of right answers per question (no table lookups)
        Index("ix_lms_attempt_responses_marks", "attempt_id", "question_key", "fraction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("lms_quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(20))
    response: Mapped[dict[str, Any]] = mapped_column()  # {"value": …}
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    fraction: Mapped[float | None]  # 0–1 once graded
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id"))
    grader_comment: Mapped[str | None] = mapped_column(Text)
    graded_at: Mapped[datetime | None]

    attempt: Mapped[QuizAttempt] = relationship(back_populates="responses")
    grader: Mapped[User | None] = relationship()


class ScenarioPlay(Base):
    """One play of a call simulation; every choice is kept in ScenarioChoice."""

    __tablename__ = "lms_scenario_plays"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("lms_enrolments.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("lms_activities.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("lms_activity_revisions.id"))
    step_id: Mapped[str] = mapped_column(String(80))
    points: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    score: Mapped[int | None]  # percent of the best possible points
    is_passed: Mapped[bool | None]
    failed_critically: Mapped[bool] = mapped_column(default=False)
    #: secret of this play: the order and tokens of each step's choices derive from it
    #: ('' for plays started before choices were shuffled: authored order, indices as tokens)
    salt: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16),
                                      server_default="")

    enrolment: Mapped[Enrolment] = relationship()
    activity: Mapped[Activity] = relationship()
    revision: Mapped[ActivityRevision] = relationship()
    choices: Mapped[list[ScenarioChoice]] = relationship(
        back_populates="play", order_by="ScenarioChoice.sequence", cascade="all, delete-orphan",
        lazy="selectin",
    )


class ScenarioChoice(Base):
    __tablename__ = "lms_scenario_choices"
    __table_args__ = (UniqueConstraint("play_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    play_id: Mapped[int] = mapped_column(
        ForeignKey("lms_scenario_plays.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int]
    step_id: Mapped[str] = mapped_column(String(80))
    choice_index: Mapped[int]
    choice_text: Mapped[str] = mapped_column(Text)
    points: Mapped[int]
    violation_rule: Mapped[str | None] = mapped_column(String(80))
    violation_severity: Mapped[str | None] = mapped_column(String(20))
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)

    play: Mapped[ScenarioPlay] = relationship(back_populates="choices")


DRAFT, SUBMITTED, RETURNED, APPROVED = "draft", "submitted", "returned", "approved"


class TrainingSummary(Base):
    """A trainee's training summary report (培训总结报告) for one enrolment."""

    __tablename__ = "lms_training_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("lms_enrolments.id", ondelete="CASCADE"), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]

    enrolment: Mapped[Enrolment] = relationship()
    events: Mapped[list[SummaryEvent]] = relationship(
        back_populates="summary", order_by="SummaryEvent.id", cascade="all, delete-orphan")


class SummaryEvent(Base):
    """Submissions and reviews of a summary, each with the text as it stood."""

    __tablename__ = "lms_summary_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        ForeignKey("lms_training_summaries.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # submitted, returned, approved
    body: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    summary: Mapped[TrainingSummary] = relationship(back_populates="events")
    actor: Mapped[User] = relationship()

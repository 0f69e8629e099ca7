"""Where a trainee stands in a course's activities, for the course, module and dashboard pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..db import session
from ..learning.models import Course, Enrolment
from .models import (
    APPROVED,
    AWAITING_GRADING,
    CASE,
    GRADED,
    SCENARIO,
    SUBMITTED,
    Activity,
    QuizAttempt,
    ScenarioPlay,
    TrainingSummary,
)
from .summaries import SUMMARY_SLUG

NOT_STARTED, IN_PROGRESS, WAITING, PASSED, NOT_PASSED = (
    "not_started", "in_progress", "waiting", "passed", "not_passed")


@dataclass(frozen=True)
class ActivityStatus:
    slug: str
    kind: str  # quiz, case, scenario or summary
    title: str
    state: str
    score: float | None = None

    @property
    def is_done(self) -> bool:
        return self.state == PASSED


def activity_statuses(course: Course, enrolment: Enrolment | None) -> dict[str, ActivityStatus]:
    """Every activity of the course (and the training summary) with the trainee's state in it."""
    activities = session.scalars(select(Activity).where(Activity.course_id == course.id,
                                                        Activity.is_archived.is_(False))).all()
    attempts, plays, summary = [], [], None
    if enrolment is not None:
        attempts = session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id == enrolment.id)).all()
        plays = session.scalars(select(ScenarioPlay).where(ScenarioPlay.enrolment_id == enrolment.id)).all()
        summary = session.scalar(select(TrainingSummary).where(TrainingSummary.enrolment_id == enrolment.id))
    statuses = {}
    for activity in activities:
        if activity.kind == SCENARIO:
            mine = [p for p in plays if p.activity_id == activity.id]
            finished = [p for p in mine if p.finished_at is not None]
            best = max((p.score or 0 for p in finished), default=None)
            state = (PASSED if any(p.is_passed for p in finished) else NOT_PASSED if finished
                     else IN_PROGRESS if mine else NOT_STARTED)
        else:
            mine = [a for a in attempts if a.activity_id == activity.id]
            graded = [a for a in mine if a.state == GRADED]
            best = max((a.score or 0 for a in graded), default=None)
            state = (PASSED if any(a.is_passed for a in graded)
                     else WAITING if any(a.state == AWAITING_GRADING for a in mine)
                     else NOT_PASSED if graded else IN_PROGRESS if mine else NOT_STARTED)
        statuses[activity.slug] = ActivityStatus(activity.slug, activity.kind, activity.title, state, best)
    summary_state = (PASSED if summary and summary.status == APPROVED
                     else WAITING if summary and summary.status == SUBMITTED
                     else IN_PROGRESS if summary and summary.body.strip() else NOT_STARTED)
    statuses[SUMMARY_SLUG] = ActivityStatus(SUMMARY_SLUG, "summary", "", summary_state)
    return statuses


KIND_ENDPOINTS = {"quiz": "lms.assessments.quiz", CASE: "lms.assessments.quiz",
                  SCENARIO: "lms.assessments.scenario", "summary": "lms.assessments.summary"}

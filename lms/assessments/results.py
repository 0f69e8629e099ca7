"""Each trainee's best result in every activity of a course, for trainers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db import session
from ..learning.models import Course, Enrolment
from .models import SCENARIO, Activity, QuizAttempt, ScenarioPlay, TrainingSummary
from .quizzes import QuizStatus
from .scenarios import best_play


@dataclass(frozen=True)
class CourseResults:
    activities: list[Activity]
    enrolments: list[Enrolment]  # by department, then employee number
    #: (enrolment id, activity id) -> QuizStatus for quizzes, the best ScenarioPlay (or None)
    results: dict[tuple[int, int], Any]
    summaries: dict[int, TrainingSummary]


def course_results(course: Course) -> CourseResults:
    """Five queries, then grouping in memory: linear in the number of attempts and plays."""
    activities = list(session.scalars(select(Activity).where(
        Activity.course_id == course.id, Activity.is_archived.is_(False)).order_by(Activity.slug)))
    enrolments = list(session.scalars(
        select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.is_archived.is_(False))
        .options(selectinload(Enrolment.user))))
    ids = select(Enrolment.id).where(Enrolment.course_id == course.id,
                                     Enrolment.is_archived.is_(False)).scalar_subquery()
    attempts: dict[tuple[int, int], list[QuizAttempt]] = defaultdict(list)
    for attempt in session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id.in_(ids))):
        attempts[attempt.enrolment_id, attempt.activity_id].append(attempt)
    plays: dict[tuple[int, int], list[ScenarioPlay]] = defaultdict(list)
    for play in session.scalars(select(ScenarioPlay).where(ScenarioPlay.enrolment_id.in_(ids))):
        plays[play.enrolment_id, play.activity_id].append(play)
    summaries = {s.enrolment_id: s for s in session.scalars(
        select(TrainingSummary).where(TrainingSummary.enrolment_id.in_(ids)))}
    results: dict[tuple[int, int], Any] = {}
    for activity in activities:
        for enrolment in enrolments:
            key = enrolment.id, activity.id
            results[key] = (best_play(plays.get(key, [])) if activity.kind == SCENARIO
                            else QuizStatus(activity, attempts.get(key, []), None, None))
    enrolments.sort(key=lambda e: (e.user.department or "", e.user.employee_no or ""))
    return CourseResults(activities, enrolments, results, summaries)

"""Where a trainee stands in a course's activities, for the course, module and dashboard pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Boolean, Float, Integer, Text, bindparam, case, cast, literal, null, select, union_all

from ..db import session
from ..learning.models import Course, Enrolment
from ..learning.structure import structure
from ..statuses import IN_PROGRESS, NOT_PASSED, NOT_STARTED, PASSED, WAITING
from .models import (
    APPROVED,
    AWAITING_GRADING,
    CASE,
    GRADED,
    SCENARIO,
    SUBMITTED,
    QuizAttempt,
    ScenarioPlay,
    TrainingSummary,
)
from .summaries import SUMMARY_SLUG


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


def activity_statuses(course: Course, enrolment: Enrolment | None,
                      rows: list[Row] | None = None) -> dict[str, ActivityStatus]:
    """Every activity of the course (and the training summary) with the trainee's state in it:
    the activities from the cached course structure, the trainee's rows in one query of plain
    columns (no attempt, response or play objects, no revision decoded), or ``rows`` when the
    caller read them already (the dashboard reads every course's at once)."""
    activities = structure(course).activities
    if rows is None:
        rows = trainee_rows([enrolment.id]).get(enrolment.id, []) if enrolment is not None else []
    mine: dict[int, list[Row]] = {}
    summary: Row | None = None
    for row in rows:
        if row.kind == "summary":
            summary = row
        else:
            mine.setdefault(row.activity_id, []).append(row)
    statuses = {}
    for info in activities.values():
        if info.kind == "summary":
            continue
        state, best = activity_state(info.kind, mine.get(info.id, []))
        statuses[info.slug] = ActivityStatus(info.slug, info.kind, info.title, state, best)
    statuses[SUMMARY_SLUG] = ActivityStatus(SUMMARY_SLUG, "summary", "", summary_state(summary))
    return statuses


@dataclass(frozen=True)
class Row:
    """One attempt, play or summary of an enrolment, as far as its status needs."""

    enrolment_id: int
    kind: str  # attempt, play or summary
    activity_id: int | None
    state: str | None  # an attempt's state, a summary's status; a play: "finished" or None
    score: float | None
    is_passed: bool | None
    body: str | None = None  # a summary's text


def _trainee_rows_statement():
    enrolment_ids = bindparam("enrolment_ids", expanding=True)
    attempts = select(QuizAttempt.enrolment_id, literal("attempt").label("kind"), QuizAttempt.activity_id,
                      QuizAttempt.state, QuizAttempt.score, QuizAttempt.is_passed,
                      cast(null(), Text).label("body")
                      ).where(QuizAttempt.enrolment_id.in_(enrolment_ids))
    plays = select(ScenarioPlay.enrolment_id, literal("play"), ScenarioPlay.activity_id,
                   case((ScenarioPlay.finished_at.is_not(None), "finished")),
                   ScenarioPlay.score, ScenarioPlay.is_passed, cast(null(), Text)
                   ).where(ScenarioPlay.enrolment_id.in_(enrolment_ids))
    summary = select(TrainingSummary.enrolment_id, literal("summary"), cast(null(), Integer),
                     TrainingSummary.status, cast(null(), Float), cast(null(), Boolean), TrainingSummary.body
                     ).where(TrainingSummary.enrolment_id.in_(enrolment_ids))
    return union_all(attempts, plays, summary)


#: Built once (see ``accounts.identity._USER_WITH_ROLES``): every trainee page runs it.
_TRAINEE_ROWS = _trainee_rows_statement()


def trainee_rows(enrolment_ids: list[int]) -> dict[int, list[Row]]:
    """The attempts, plays and summaries of these enrolments, by enrolment (one query)."""
    found: dict[int, list[Row]] = {}
    if enrolment_ids:
        for row in session.execute(_TRAINEE_ROWS, {"enrolment_ids": enrolment_ids}):
            found.setdefault(row[0], []).append(Row(*row))
    return found


def activity_state(kind: str, rows: list[Row]) -> tuple[str, float | None]:
    """The trainee's state in one activity and their best score, from its attempts or plays."""
    if kind == SCENARIO:
        finished = [p for p in rows if p.state == "finished"]
        best = max((p.score or 0 for p in finished), default=None)
        return (PASSED if any(p.is_passed for p in finished) else NOT_PASSED if finished
                else IN_PROGRESS if rows else NOT_STARTED), best
    graded = [a for a in rows if a.state == GRADED]
    best = max((a.score or 0 for a in graded), default=None)
    return (PASSED if any(a.is_passed for a in graded)
            else WAITING if any(a.state == AWAITING_GRADING for a in rows)
            else NOT_PASSED if graded else IN_PROGRESS if rows else NOT_STARTED), best


def summary_state(summary: Row | None) -> str:
    return (PASSED if summary and summary.state == APPROVED
            else WAITING if summary and summary.state == SUBMITTED
            else IN_PROGRESS if summary and (summary.body or "").strip() else NOT_STARTED)


KIND_ENDPOINTS = {"quiz": "lms.assessments.quiz", CASE: "lms.assessments.quiz",
                  SCENARIO: "lms.assessments.scenario", "summary": "lms.assessments.summary"}

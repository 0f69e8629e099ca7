"""The training summary (培训总结报告): drafts, submission, a trainer's approval or return."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from .. import fields
from ..accounts.models import User
from ..db import locked, session
from ..i18n import gettext as _
from ..learning.models import Course, Enrolment
from ..signals import progress_changed, summary_reviewed
from .models import APPROVED, DRAFT, RETURNED, SUBMITTED, SummaryEvent, TrainingSummary

SUMMARY_SLUG = "training-summary"
DEFAULT_MIN_CHARS = 500
MAX_CHARS = fields.SUMMARY.max_length


class SummaryError(ValueError):
    def __init__(self, code: str, problem: fields.TextProblem | None = None, **details: int):
        super().__init__(code)
        self.code = code
        self.problem = problem
        self.details = details


def _clean(text: str, rule: fields.TextRule) -> str:
    try:
        return fields.clean(text, rule)
    except fields.TextRuleError as error:
        if error.problem.kind == "too_long":
            raise SummaryError("too_long", limit=error.problem.limit) from None
        raise SummaryError("invalid", error.problem) from None


def min_chars(course: Course) -> int:
    return int(course.settings.get("summary_min_chars", DEFAULT_MIN_CHARS))


def error_message(problem: SummaryError) -> str:
    if problem.code == "too_short":
        return _("The summary needs at least %(minimum)d characters; it has %(count)d.",
                 **problem.details)
    if problem.code == "too_long":
        return _("The summary may have at most %(limit)d characters.", **problem.details)
    if problem.code == "invalid" and problem.problem is not None:
        return fields.field_message(problem.problem)
    if problem.code == "comment_required":
        return _("Say what to improve when returning a summary.")
    return _("This summary cannot be changed now.")


def counted_chars(text: str) -> int:
    """Length as the course counts it: characters other than white space."""
    return len(re.sub(r"\s+", "", text))


def summary_of(enrolment: Enrolment) -> TrainingSummary | None:
    return session.scalar(select(TrainingSummary).where(TrainingSummary.enrolment_id == enrolment.id))


def current(enrolment: Enrolment) -> TrainingSummary:
    """The enrolment's summary, or an empty draft that is stored only once the trainee saves."""
    return summary_of(enrolment) or TrainingSummary(enrolment_id=enrolment.id, body="", status=DRAFT)


def get_or_create(enrolment: Enrolment) -> TrainingSummary:
    """The enrolment's summary, created if needed; the enrolment is locked, so two tabs saving
    at once change it one after the other."""
    locked(Enrolment, enrolment.id)
    summary = summary_of(enrolment)
    if summary is None:
        summary = TrainingSummary(enrolment_id=enrolment.id, body="", status=DRAFT)
        session.add(summary)
        session.flush()
    return summary


def is_editable(summary: TrainingSummary) -> bool:
    return summary.status in (DRAFT, RETURNED)


def save_draft(enrolment: Enrolment, body: str, now: datetime) -> TrainingSummary:
    summary = get_or_create(enrolment)
    if not is_editable(summary):
        raise SummaryError("not_editable")
    body = _clean(body, fields.SUMMARY)
    summary.body, summary.updated_at = body, now
    session.flush()
    return summary


def submit(enrolment: Enrolment, body: str, min_chars: int, actor: User, now: datetime) -> TrainingSummary:
    """Submit the summary for review; the same text submitted again (a double click, a second
    tab) changes nothing."""
    summary = get_or_create(enrolment)
    if summary.status == SUBMITTED and summary.body == body:
        return summary
    summary = save_draft(enrolment, body, now)
    body = summary.body
    if counted_chars(body) < min_chars:
        raise SummaryError("too_short", minimum=min_chars, count=counted_chars(body))
    summary.status, summary.submitted_at = SUBMITTED, now
    summary.events.append(SummaryEvent(action=SUBMITTED, body=body, actor_id=actor.id,
                                       created_at=now))
    session.flush()
    return summary


def review(summary: TrainingSummary, approve: bool, comment: str, reviewer: User,
           now: datetime) -> None:
    """Approve a submitted summary, or return it to the trainee with a comment."""
    if summary.status != SUBMITTED:
        raise SummaryError("already_reviewed" if summary.status == (APPROVED if approve else RETURNED)
                           else "not_submitted")
    comment = _clean(comment, fields.COMMENT)
    if not approve and not comment:
        raise SummaryError("comment_required")
    summary.status = APPROVED if approve else RETURNED
    summary.reviewed_at = now
    event = SummaryEvent(action=summary.status, body=summary.body, comment=comment,
                         actor_id=reviewer.id, created_at=now)
    summary.events.append(event)
    session.flush()
    if approve:
        progress_changed.send(summary.enrolment)
    summary_reviewed.send(summary, event=event)

"""Recording notices as things happen (signal receivers), showing and closing them, and emailing
them once the request that caused them has been answered.

Each notice is emailed once, by whichever comes first: the request that recorded it (after its
response has gone out, so a slow or failing mail server never delays or breaks the page) or the
next ``lms remind`` run, which also retries every email that failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, after_this_request, current_app, g, has_request_context
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..assessments.grading import shown_score
from ..assessments.models import APPROVED, GRADED, QuizAttempt, SummaryEvent, TrainingSummary
from ..db import session, utcnow
from ..learning.models import Course, Enrolment
from ..reminders import services as reminders
from ..reminders.mail import Mailer, MailError
from ..signals import attempt_graded_by_hand, due_date_changed, enrolled, summary_reviewed
from .models import ASSIGNED, DUE_CHANGED, ESSAY_GRADED, SUMMARY_APPROVED, SUMMARY_RETURNED, Notice

#: Enrolments of these sources were made for the trainee by someone else: they are told.
ASSIGNED_SOURCES = ("assigned", "refresher")
#: Sending right after a request waits at most this long for the mail server.
AFTER_REQUEST_TIMEOUT_SECONDS = 5


# --- recording -------------------------------------------------------------------------------

def record(enrolment: Enrolment, kind: str, key: str, subject_id: int, data: dict[str, Any],
           now: datetime) -> Notice | None:
    """The notice of event ``key`` for the enrolment's trainee; None when it was recorded before
    (an open one then gets the latest ``data``, e.g. a corrected score)."""
    existing = session.scalar(select(Notice).where(Notice.key == key))
    if existing is not None:
        if existing.is_open:
            existing.data = data
        return None
    notice = Notice(key=key, user_id=enrolment.user_id, enrolment_id=enrolment.id, kind=kind,
                    subject_id=subject_id, data=data, created_at=now)
    try:
        with session.begin_nested():
            session.add(notice)
    except IntegrityError:  # the same event, recorded by a request at the same moment
        return None
    _mail_after_response(notice)
    return notice


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@enrolled.connect
def _course_assigned(enrolment: Enrolment, **_: object) -> None:
    if enrolment.source in ASSIGNED_SOURCES:
        record(enrolment, ASSIGNED, f"assigned:{enrolment.id}", enrolment.id, {}, utcnow())


@due_date_changed.connect
def _due_date_changed(enrolment: Enrolment, old: datetime | None = None, new: datetime | None = None,
                      **_: object) -> None:
    if enrolment.completed_at is not None or enrolment.is_archived or old == new:
        return
    now = utcnow()
    notice = record(enrolment, DUE_CHANGED, f"due:{enrolment.id}:{_iso(old)}:{_iso(new)}", enrolment.id,
                    {"old": _iso(old), "new": _iso(new)}, now)
    if notice is None:
        return
    for earlier in session.scalars(select(Notice).where(
            Notice.enrolment_id == enrolment.id, Notice.kind == DUE_CHANGED, Notice.id != notice.id,
            Notice.opened_at.is_(None), Notice.dismissed_at.is_(None))):
        earlier.dismissed_at = now  # the newest date is the one that counts
    session.flush()


@summary_reviewed.connect
def _summary_reviewed(summary: TrainingSummary, event: SummaryEvent, **_: object) -> None:
    kind = SUMMARY_APPROVED if event.action == APPROVED else SUMMARY_RETURNED
    record(summary.enrolment, kind, f"summary:{event.id}", summary.id, {"comment": event.comment},
           event.created_at)


@attempt_graded_by_hand.connect
def _essay_graded(attempt: QuizAttempt, **_: object) -> None:
    if attempt.state != GRADED:
        return
    record(attempt.enrolment, ESSAY_GRADED, f"essay:{attempt.id}", attempt.id,
           {"title": attempt.revision.title, "score": shown_score(attempt.score or 0.0),
            "passed": bool(attempt.is_passed)}, attempt.graded_at or utcnow())


# --- the trainee's notices -------------------------------------------------------------------

#: Built once: the dashboard runs it on every view.
_OPEN_NOTICES = (
    select(Notice).join(Notice.enrolment).join(Enrolment.course)
    .where(Notice.user_id == bindparam("user_id"), Notice.opened_at.is_(None),
           Notice.dismissed_at.is_(None), Enrolment.is_archived.is_(False), Course.is_archived.is_(False))
    .options(contains_eager(Notice.enrolment).contains_eager(Enrolment.course))
    .order_by(Notice.created_at.desc(), Notice.id.desc()))


def open_notices(user: User) -> list[Notice]:
    """The user's notices not yet opened or dismissed, newest first (none of archived cycles)."""
    return list(session.scalars(_OPEN_NOTICES, {"user_id": user.id}))


def mark_opened(notice: Notice, now: datetime) -> None:
    if notice.opened_at is None:
        notice.opened_at = now
    session.flush()


def dismiss(notice: Notice, now: datetime) -> None:
    if notice.dismissed_at is None:
        notice.dismissed_at = now
    session.flush()


# --- email -----------------------------------------------------------------------------------

def _mail_after_response(notice: Notice) -> None:
    """In a request, with mail configured: email the notice once the response has gone out."""
    if not has_request_context():
        return  # e.g. `lms certificates recertify`: the next `lms remind` sends it
    config = current_app.config
    if not (config.get("LMS_MAIL_SERVER") and config.get("LMS_PUBLIC_URL")):
        return
    pending = g.get("lms_notices_to_mail")
    if pending is None:
        pending = g.lms_notices_to_mail = []
        app = current_app._get_current_object()

        @after_this_request
        def _send_when_closed(response):
            ids = list(pending)
            response.call_on_close(lambda: send_after_response(app, ids))
            return response

    pending.append(notice.id)


def send_after_response(app: Flask, ids: list[int]) -> None:
    """Email these notices, if the request's transaction kept them. Never raises: what is not
    sent now is sent by the next ``lms remind``."""
    try:
        with app.app_context():
            send(ids, utcnow())
    except Exception:  # a response hook must not fail; the notices stay unsent and are retried
        app.logger.exception("emailing notices %s failed; `lms remind` will retry", ids)


def send(ids: list[int], now: datetime) -> reminders.Summary:
    """Email the notices among ``ids`` that are open and not emailed yet, recording each one sent."""
    planned = reminders.Plan(messages=reminders.notice_messages(now, ids))
    if not planned.messages:
        return reminders.Summary()
    try:
        with Mailer.from_config(current_app.config, timeout=AFTER_REQUEST_TIMEOUT_SECONDS) as mailer:
            summary = reminders.deliver(planned, mailer)
    except MailError as error:
        current_app.logger.warning("notices not emailed (%s); `lms remind` will retry", error)
        return reminders.Summary(failed=[reminders.Failure(m, str(error)) for m in planned.messages])
    for failure in summary.failed:
        current_app.logger.warning("notice %s not emailed: %s", failure.message.subject_id, failure.reason)
    return summary

"""Which reminders are due, and sending each one once.

``plan`` reads the database and renders every message that should go out now; ``deliver`` sends
them over one connection and records each one that went, committing as it goes, so a run that
stops half-way does not send those again. A message that fails is not recorded: the next run
tries it again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager

from ..accounts.models import User
from ..certificates.models import Certificate
from ..certificates.services import local_date
from ..db import session, utcnow
from ..learning.models import Course, Enrolment
from ..notices.models import Notice as EventNotice
from ..statuses import OVERDUE
from ..urls import public_url
from .mail import Email, Mailer, MailError
from .models import ReminderSent

DUE, EXPIRY, HR_DIGEST, NOTICE = "due", "expiry", "hr_digest", "notice"
KINDS = (DUE, EXPIRY, HR_DIGEST, NOTICE)
#: A notice (lms.notices) is emailed once while it is open and at most this old: mail configured
#: later does not send a backlog of old news.
NOTICE_EMAIL_WITHIN = timedelta(days=7)
#: (step, days before the date), most urgent first. Only the most urgent step whose window has
#: begun is sent: a run that missed some days sends today's step, not every one it skipped.
DUE_STEPS = (("1d", 1), ("7d", 7))
EXPIRY_STEPS = (("7d", 7), ("30d", 30), ("60d", 60))
TEMPLATES = "lms/reminders"


# --- what a trainee would be reminded of today ------------------------------------------------

@dataclass(frozen=True)
class Notice:
    kind: str  # DUE or EXPIRY
    step: str  # 7d, 1d, overdue; 60d, 30d, 7d
    subject_id: int  # the enrolment's id (DUE) or the certificate's (EXPIRY)
    user: User
    course: Course
    on: date  # the due date, or the expiry date, in LMS_TIMEZONE
    days_left: int  # from today to ``on``; 0 or less once overdue
    serial: str | None = None  # the certificate's

    @property
    def key(self) -> tuple[str, int, str]:
        return self.kind, self.subject_id, self.step


def _step(days_left: int, steps: Sequence[tuple[str, int]]) -> str | None:
    return next((step for step, days in steps if days_left <= days), None)


def due_notices(enrolments: Iterable[Enrolment], certificates: Iterable[Certificate],
                now: datetime) -> list[Notice]:
    """The reminders these enrolments and certificates call for today, most urgent first.

    Open enrolments with a due date within 7 days or past it; current certificates expiring
    within 60 days. Whether a reminder was already emailed does not matter here."""
    today = local_date(now)
    notices = []
    for enrolment in enrolments:
        if enrolment.completed_at is not None or enrolment.is_archived or enrolment.due_at is None:
            continue
        on = local_date(enrolment.due_at)
        step = OVERDUE if enrolment.due_at < now else _step((on - today).days, DUE_STEPS)
        if step:
            notices.append(Notice(DUE, step, enrolment.id, enrolment.user, enrolment.course, on,
                                  (on - today).days))
    for certificate in certificates:
        if (certificate.revoked_at is not None or certificate.superseded_by_id is not None
                or certificate.expires_at is None or certificate.expires_at <= now):
            continue
        on = local_date(certificate.expires_at)
        step = _step((on - today).days, EXPIRY_STEPS)
        if step:
            notices.append(Notice(EXPIRY, step, certificate.id, certificate.user, certificate.course, on,
                                  (on - today).days, certificate.serial))
    return sorted(notices, key=lambda n: (n.days_left, n.kind, n.course.title))


# --- what to send now ------------------------------------------------------------------------

@dataclass(frozen=True)
class Outgoing:
    kind: str
    subject_id: int
    step: str
    email: Email


@dataclass
class Plan:
    messages: list[Outgoing] = field(default_factory=list)
    skipped: list[Notice] = field(default_factory=list)  # the trainee has no email address


def plan(now: datetime) -> Plan:
    """Every reminder due at ``now`` and not sent yet, rendered. Writes nothing."""
    notices = due_notices(_open_enrolments(now), _expiring_certificates(now), now)
    sent = _sent_keys(notices)
    found = Plan()
    for notice in notices:
        if notice.key in sent:
            continue
        if not (notice.user.email or "").strip():
            found.skipped.append(notice)
            continue
        found.messages.append(Outgoing(notice.kind, notice.subject_id, notice.step, trainee_email(notice)))
    digest = hr_digest(now)
    if digest is not None:
        found.messages.append(digest)
    found.messages += notice_messages(now)
    return found


def _open_enrolments(now: datetime) -> list[Enrolment]:
    horizon = now + timedelta(days=max(days for _, days in DUE_STEPS) + 1)
    return list(session.scalars(
        select(Enrolment).join(Enrolment.user).join(Enrolment.course)
        .where(Enrolment.completed_at.is_(None), Enrolment.is_archived.is_(False),
               Enrolment.due_at.is_not(None), Enrolment.due_at <= horizon,
               User.is_active.is_(True), Course.is_archived.is_(False))
        .options(contains_eager(Enrolment.user), contains_eager(Enrolment.course))))


def _expiring_certificates(now: datetime) -> list[Certificate]:
    """Current certificates expiring soon, unless the holder already has a newer one."""
    horizon = now + timedelta(days=max(days for _, days in EXPIRY_STEPS) + 1)
    newer = aliased(Certificate)
    renewed = exists().where(newer.user_id == Certificate.user_id, newer.course_id == Certificate.course_id,
                             newer.id != Certificate.id, newer.revoked_at.is_(None),
                             newer.superseded_by_id.is_(None),
                             or_(newer.expires_at.is_(None), newer.expires_at > Certificate.expires_at))
    return list(session.scalars(
        select(Certificate).join(Certificate.user).join(Certificate.course)
        .where(Certificate.revoked_at.is_(None), Certificate.superseded_by_id.is_(None),
               Certificate.expires_at > now, Certificate.expires_at <= horizon, ~renewed,
               User.is_active.is_(True), Course.is_archived.is_(False))
        .options(contains_eager(Certificate.user), contains_eager(Certificate.course))))


def _sent_keys(notices: list[Notice]) -> set[tuple[str, int, str]]:
    ids = {notice.subject_id for notice in notices}
    if not ids:
        return set()
    rows = session.execute(select(ReminderSent.kind, ReminderSent.subject_id, ReminderSent.step)
                           .where(ReminderSent.kind.in_((DUE, EXPIRY)), ReminderSent.subject_id.in_(ids)))
    return {(kind, subject_id, step) for kind, subject_id, step in rows}


# --- the emails ------------------------------------------------------------------------------

def render_email(to: Sequence[str], template: str, **context: Any) -> Email:
    """The subject from ``<template>_subject.txt`` (on one line), the body from ``<template>.txt``."""
    context.setdefault("issuer", current_app.config["LMS_ISSUER"])
    subject = render_template(f"{TEMPLATES}/{template}_subject.txt", **context)
    body = render_template(f"{TEMPLATES}/{template}.txt", **context)
    return Email(tuple(to), " ".join(subject.split()), body + "\n")


def trainee_email(notice: Notice) -> Email:
    return render_email([notice.user.email.strip()], notice.kind, notice=notice,
                        name=notice.user.display_name, course=notice.course, on=notice.on.isoformat(),
                        url=public_url("lms.learning.course", course_slug=notice.course.slug))


def notice_messages(now: datetime, ids: Iterable[int] | None = None) -> list[Outgoing]:
    """The emails of open notices not emailed yet (of these ``ids`` only, when given), created
    within NOTICE_EMAIL_WITHIN before ``now``, to active trainees who have an address."""
    emailed = exists().where(ReminderSent.kind == NOTICE, ReminderSent.subject_id == EventNotice.id)
    query = (select(EventNotice).join(EventNotice.user).join(EventNotice.enrolment)
             .where(EventNotice.opened_at.is_(None), EventNotice.dismissed_at.is_(None),
                    EventNotice.created_at <= now, EventNotice.created_at > now - NOTICE_EMAIL_WITHIN,
                    User.is_active.is_(True), Enrolment.is_archived.is_(False), ~emailed)
             .options(contains_eager(EventNotice.user), contains_eager(EventNotice.enrolment))
             .order_by(EventNotice.id))
    if ids is not None:
        query = query.where(EventNotice.id.in_(list(ids)))
    return [Outgoing(NOTICE, notice.id, notice.kind, notice_email(notice))
            for notice in session.scalars(query) if (notice.user.email or "").strip()]


def notice_email(notice: EventNotice) -> Email:
    endpoint, values = notice.target
    return render_email([notice.user.email.strip()], NOTICE, notice=notice, name=notice.user.display_name,
                        course=notice.enrolment.course, url=public_url(endpoint, **values),
                        old=_local_day(notice.old_due_at), new=_local_day(notice.new_due_at),
                        due=_local_day(notice.enrolment.due_at))


def _local_day(moment: datetime | None) -> str | None:
    return local_date(moment).isoformat() if moment is not None else None


@dataclass(frozen=True)
class OverdueTrainee:
    name: str
    employee_no: str | None
    department: str | None
    due_on: date
    days_overdue: int


@dataclass(frozen=True)
class OverdueCourse:
    course: Course
    trainees: list[OverdueTrainee]


def overdue_by_course(now: datetime) -> list[OverdueCourse]:
    """Active trainees past the due date of an open enrolment, by course and department."""
    today = local_date(now)
    rows = session.execute(
        select(Enrolment, User, Course).join(User, Enrolment.user_id == User.id)
        .join(Course, Enrolment.course_id == Course.id)
        .where(Enrolment.completed_at.is_(None), Enrolment.is_archived.is_(False),
               Enrolment.due_at < now, User.is_active.is_(True), Course.is_archived.is_(False))).all()
    by_course: dict[int, OverdueCourse] = {}
    for enrolment, user, course in rows:
        due_on = local_date(enrolment.due_at)
        group = by_course.setdefault(course.id, OverdueCourse(course, []))
        group.trainees.append(OverdueTrainee(user.display_name, user.employee_no, user.department, due_on,
                                             (today - due_on).days))
    for group in by_course.values():
        group.trainees.sort(key=lambda t: (t.department or "", t.employee_no or "", t.name))
    return sorted(by_course.values(), key=lambda g: (g.course.title, g.course.id))


def hr_addresses() -> tuple[str, ...]:
    value = current_app.config.get("LMS_MAIL_HR") or ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(address.strip() for address in value if address.strip())


def hr_digest(now: datetime) -> Outgoing | None:
    """Today's digest of overdue trainees for HR: none without LMS_MAIL_HR, without overdue
    trainees, or when today's has gone."""
    addresses = hr_addresses()
    if not addresses:
        return None
    day = local_date(now).isoformat()
    if session.scalar(select(ReminderSent.id).where(ReminderSent.kind == HR_DIGEST,
                                                    ReminderSent.subject_id == 0,
                                                    ReminderSent.step == day)) is not None:
        return None
    groups = overdue_by_course(now)
    if not groups:
        return None
    urls = {g.course.slug: public_url("lms.hr.course", course_slug=g.course.slug, status="overdue")
            for g in groups}
    email = render_email(addresses, HR_DIGEST, day=day, groups=groups, urls=urls,
                         total=sum(len(g.trainees) for g in groups))
    return Outgoing(HR_DIGEST, 0, day, email)


# --- sending ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    message: Outgoing
    reason: str


@dataclass
class Summary:
    sent: list[Outgoing] = field(default_factory=list)
    skipped: int = 0  # no email address
    failed: list[Failure] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(message.kind for message in self.sent)


def deliver(planned: Plan, mailer: Mailer) -> Summary:
    """Send every planned message, recording (and committing) each one that went."""
    summary = Summary(skipped=len(planned.skipped))
    for message in planned.messages:
        try:
            refused = mailer.send(message.email)
        except MailError as error:
            summary.failed.append(Failure(message, str(error)))
            continue
        if refused:  # some of several recipients: the others have it, so it is not sent again
            summary.failed.append(Failure(message, f"{refused} (the other recipients got it)"))
        _record(message)
        summary.sent.append(message)
    return summary


def _record(message: Outgoing) -> None:
    session.add(ReminderSent(kind=message.kind, subject_id=message.subject_id, step=message.step,
                             recipient=", ".join(message.email.to), sent_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:  # a run at the same moment recorded it first
        session.rollback()

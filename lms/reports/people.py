"""One person's training record for HR: every course and cycle, progress, recorded time,
certificates and what the audit log says about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from ..accounts.models import User
from ..assessments.models import QuizAttempt, ScenarioPlay
from ..audit.models import AuditEntry
from ..certificates.models import Certificate, CertificateStatus
from ..db import session
from ..learning import services as learning
from ..learning.models import Enrolment
from . import hr

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class PersonCourse:
    enrolment: Enrolment
    course_status: learning.CourseStatus
    status: str  # as the roster says: not_started, in_progress, completed, overdue
    certificates: list[tuple[Certificate, CertificateStatus]]


@dataclass(frozen=True)
class PersonRecord:
    user: User
    courses: list[PersonCourse]
    history: list[AuditEntry]  # the latest HISTORY_LIMIT
    history_total: int  # all the entries about the person


def person_record(user: User, now: datetime) -> PersonRecord:
    """Every enrolment of ``user`` (current cycles first, then earlier ones), newest first."""
    enrolments = session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                 .order_by(Enrolment.is_archived, Enrolment.enrolled_at.desc())).all()
    certificates: dict[int, list[Certificate]] = {}
    for certificate in session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                       .order_by(Certificate.issued_at.desc())):
        certificates.setdefault(certificate.enrolment_id, []).append(certificate)
    attempted = set(session.scalars(
        select(QuizAttempt.enrolment_id).where(QuizAttempt.enrolment_id.in_([e.id for e in enrolments]))
        .union(select(ScenarioPlay.enrolment_id)
               .where(ScenarioPlay.enrolment_id.in_([e.id for e in enrolments])))))
    courses = []
    for enrolment in enrolments:
        mine = [(c, c.status(now)) for c in certificates.get(enrolment.id, [])]
        current = next((state for c, state in mine if c.superseded_by_id is None), None)
        started = bool(enrolment.progress) or enrolment.id in attempted
        courses.append(PersonCourse(
            enrolment, learning.course_status(enrolment.course, enrolment),
            hr.roster_status(enrolment.completed_at, enrolment.due_at, started, current, now), mine))
    history, total = _history(user, [c for found in certificates.values() for c in found])
    return PersonRecord(user, courses, history, total)


def _history(user: User, certificates: list[Certificate]) -> tuple[list[AuditEntry], int]:
    """The latest audit entries about the person (their certificates, their enrolments, their
    account), and how many there are in all: one query."""
    names = {name for name in (user.employee_no, user.username) if name}
    conditions = [AuditEntry.subject.in_([c.serial for c in certificates] + sorted(names))]
    conditions += [AuditEntry.subject.startswith(f"{name}/", autoescape=True) for name in names]
    rows = session.execute(select(AuditEntry, func.count().over()).where(or_(*conditions))
                           .order_by(AuditEntry.id.desc()).limit(HISTORY_LIMIT)).all()
    return [entry for entry, _total in rows], rows[0][1] if rows else 0

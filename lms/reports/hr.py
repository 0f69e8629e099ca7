"""HR: employees from spreadsheets, assigning courses, and where every trainee stands.

``course_roster`` builds the rows of the roster (all of them, or the enrolments named) with a
fixed number of queries, whatever the number of trainees; ``roster`` filters, sorts and pages
them in the database with ``status_column``, the SQL twin of ``roster_status``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, partial
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, func, literal, null, or_, select, true, union_all
from sqlalchemy.orm import aliased

from .. import fields
from ..accounts.activation import activated_clause
from ..accounts.models import TRAINEE, User, UserRole
from ..accounts.services import set_roles
from ..assessments.models import APPROVED, GRADED, QuizAttempt, ScenarioPlay, TrainingSummary
from ..assessments.summaries import SUMMARY_SLUG
from ..audit.services import record
from ..certificates.models import (
    EXPIRING_WITHIN,
    Certificate,
    CertificateStatus,
    certificate_status,
    certificate_status_column,
)
from ..db import session, utcnow
from ..learning.models import Course, Enrolment, Module, ModuleProgress, ModuleRevision
from ..learning.reading import ModuleRead, ReadingTime, reading_time
from ..learning.services import enrol, percent_complete
from ..learning.structure import Structure, structure
from ..ordering import natural_key
from ..signals import due_date_changed
from ..statuses import COMPLETED, IN_PROGRESS, NOT_STARTED, OVERDUE, enrolment_status

STATUSES = (NOT_STARTED, IN_PROGRESS, COMPLETED, OVERDUE)


# --- employees -------------------------------------------------------------------------------

@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def import_employees(rows: Iterable, actor: User | None) -> ImportResult:
    """Create or update people by employee number (工号); the same file twice changes nothing."""
    result = ImportResult()
    existing = {u.employee_no: u for u in session.scalars(select(User).where(User.employee_no.is_not(None)))}
    for row in rows:
        user = existing.get(row.employee_no)
        values = {"display_name": row.name, "department": row.department, "email": row.email,
                  "hire_date": row.hire_date, "cohort": row.cohort}
        if user is None:
            username = row.employee_no.lower()
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                username = f"{username}-{len(result.created) + 1}"
            user = User(username=username, employee_no=row.employee_no, **values)
            session.add(user)
            session.flush()
            set_roles(user, [TRAINEE], actor)
            existing[row.employee_no] = user
            result.created.append(row.employee_no)
            continue
        changed = {k: v for k, v in values.items() if v is not None and getattr(user, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(user, key, value)
            result.updated.append(row.employee_no)
        else:
            result.unchanged += 1
    session.flush()
    if result.created or result.updated:
        record("employees.imported", f"{len(result.created)} created, {len(result.updated)} updated",
               actor, {"created": result.created, "updated": result.updated})
    return result


def departments_and_cohorts() -> tuple[list[str], list[str]]:
    departments = session.scalars(select(User.department).where(User.department.is_not(None))
                                  .distinct().order_by(User.department)).all()
    cohorts = session.scalars(select(User.cohort).where(User.cohort.is_not(None))
                              .distinct().order_by(User.cohort)).all()
    return sorted(departments, key=natural_key), sorted(cohorts, key=natural_key)


@dataclass(frozen=True)
class DueChange:
    """An open enrolment whose due date the assignment would move, if HR ticks it."""

    enrolment_id: int
    name: str
    employee_no: str | None
    department: str | None
    due_at: datetime | None
    new_due_at: datetime


@dataclass(frozen=True)
class AssignmentPreview:
    course: Course
    due_at: datetime
    newcomers: list[User]  # enrolled by the assignment
    changes: list[DueChange]  # open enrolments with another due date: moved only when ticked
    unchanged: int  # already enrolled with this due date, or completed


def preview_assignment(course: Course, departments: list[str], cohorts: list[str],
                       due_on: date) -> AssignmentPreview:
    """What assigning ``course`` to the active trainees of these departments or cohorts, due at the
    end of ``due_on``, would do; nothing is changed."""
    due_at = end_of_day(due_on)
    conditions = []  # in any of the departments, or any of the cohorts
    if departments:
        conditions.append(User.department.in_(departments))
    if cohorts:
        conditions.append(User.cohort.in_(cohorts))
    users = session.scalars(
        select(User).where(User.is_active.is_(True), User.role_rows.any(UserRole.role == TRAINEE),
                           or_(*conditions))).all() if conditions else []
    open_enrolments = {e.user_id: e for e in session.scalars(select(Enrolment).where(
        Enrolment.course_id == course.id, Enrolment.is_archived.is_(False),
        Enrolment.user_id.in_([u.id for u in users])))} if users else {}
    newcomers, changes, unchanged = [], [], 0
    for user in sorted(users, key=lambda u: (natural_key(u.department or ""), u.employee_no or "", u.id)):
        enrolment = open_enrolments.get(user.id)
        if enrolment is None:
            newcomers.append(user)
        elif enrolment.completed_at is None and enrolment.due_at != due_at:
            changes.append(DueChange(enrolment.id, user.display_name, user.employee_no, user.department,
                                     enrolment.due_at, due_at))
        else:
            unchanged += 1
    return AssignmentPreview(course, due_at, newcomers, changes, unchanged)


def assign_course(course: Course, departments: list[str], cohorts: list[str], due_on: date,
                  actor: User | None, *, enrol_ids: Collection[int] | None = None,
                  change_ids: Collection[int] = ()) -> tuple[int, int]:
    """Apply what HR confirmed in the preview: enrol the newcomers among ``enrol_ids`` (all of
    them when None), due at the end of ``due_on``, and move the due dates of the open enrolments
    in ``change_ids`` only. Returns (enrolled, due dates changed)."""
    preview = preview_assignment(course, departments, cohorts, due_on)
    enrolled: list[str] = []
    changed: list[dict[str, object]] = []
    for user in preview.newcomers:
        if enrol_ids is not None and user.id not in enrol_ids:
            continue
        enrolment, created = enrol(user, course, source="assigned")
        if created:
            enrolment.due_at = preview.due_at
            enrolled.append(user.employee_no or user.username)
    for change in preview.changes:
        if change.enrolment_id in change_ids:
            enrolment = session.get(Enrolment, change.enrolment_id)
            enrolment.due_at = preview.due_at
            due_date_changed.send(enrolment, old=change.due_at, new=preview.due_at)
            changed.append({"employee_no": change.employee_no, "holder": change.name,
                            "from": change.due_at.isoformat() if change.due_at else None,
                            "to": preview.due_at.isoformat()})
    session.flush()
    if enrolled or changed:
        record("course.assigned", course.slug, actor, {
            "departments": departments, "cohorts": cohorts, "due_on": due_on.isoformat(),
            "enrolled": len(enrolled), "due_changed": len(changed), "employees": enrolled,
            "changes": changed})
    return len(enrolled), len(changed)


class DueDateError(ValueError):
    pass


def extend_due_date(enrolment: Enrolment, due_on: date, reason: str, actor: User | None,
                    now: datetime | None = None) -> None:
    """Give one trainee a later due date, with HR's reason, in the audit log."""
    now = now or utcnow()
    reason = fields.normalise(reason, fields.COMMENT)
    if not reason:
        raise DueDateError("reason_required")
    if not fields.is_valid(reason, fields.COMMENT):
        raise DueDateError("reason_invalid")
    if enrolment.is_archived or enrolment.completed_at is not None:
        raise DueDateError("not_open")
    due_at = end_of_day(due_on)
    if due_at <= now or (enrolment.due_at is not None and due_at <= enrolment.due_at):
        raise DueDateError("not_later")
    before = enrolment.due_at
    enrolment.due_at = due_at
    session.flush()
    due_date_changed.send(enrolment, old=before, new=due_at)
    user = enrolment.user
    record("enrolment.due_extended", f"{user.employee_no or user.username}/{enrolment.course.slug}", actor,
           {"holder": user.display_name, "from": before.isoformat() if before else None,
            "to": due_at.isoformat(), "reason": reason})


def end_of_day(day: date) -> datetime:
    zone = ZoneInfo(current_app.config["LMS_TIMEZONE"])
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def start_of_day(day: date) -> datetime:
    """The moment before ``day`` begins in the configured time zone: a day is
    ``start_of_day(day) < moment <= end_of_day(day)``."""
    return end_of_day(day) - timedelta(days=1)


def local_day(moment: datetime | None) -> date | None:
    """The day of ``moment`` in the configured time zone, as records show it."""
    return moment.astimezone(ZoneInfo(current_app.config["LMS_TIMEZONE"])).date() if moment else None


# --- the roster ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """From the start of ``first`` to the end of ``last``, both days in the configured time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return start_of_day(self.first)

    @property
    def end(self) -> datetime:
        return end_of_day(self.last)

    def __contains__(self, moment: datetime | None) -> bool:
        return moment is not None and self.start < moment <= self.end

    @property
    def tag(self) -> str:
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"


@dataclass(frozen=True)
class RosterRow:
    enrolment_id: int
    user_id: int
    name: str
    employee_no: str | None
    department: str | None
    cohort: str | None
    enrolled_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    modules_done: int
    modules_total: int
    started: bool
    status: str  # not_started, in_progress, completed, overdue
    #: the enrolment's certificate that is not replaced, and its status as of the roster's moment
    serial: str | None
    certificate_status: CertificateStatus | None
    certificate_issued_at: datetime | None
    certificate_expires_at: datetime | None
    certificate_revoked_at: datetime | None
    #: the course's steps done and in all, as the trainee's dashboard counts them
    steps_done: int
    steps_total: int
    _reading: Callable[[], ReadingTime] = field(repr=False, compare=False)
    #: whether the person can sign in yet (``accounts.activation.is_activated``)
    activated: bool = True

    @cached_property
    def reading(self) -> ReadingTime:
        """Recorded engaged time per module and in total, and the hours it credits (read from
        the database for the whole roster when the first row asks: exports do, pages do not)."""
        return self._reading()

    @property
    def percent(self) -> int:
        return percent_complete(self.steps_done, self.steps_total)

    @property
    def certificate_revoked(self) -> bool:
        return self.certificate_status is CertificateStatus.REVOKED

    def expiring(self, now: datetime, within: timedelta = EXPIRING_WITHIN) -> bool:
        """Whether the certificate is current and expires within ``within``."""
        return (self.certificate_status is not None and self.certificate_status.is_current
                and self.certificate_expires_at is not None
                and now < self.certificate_expires_at <= now + within)


def roster_enrolments(course: Course, period: Period | None = None):
    """The enrolments a roster covers: the open ones; for a period, every cycle (archived too)
    enrolled by the period's end and not completed before its start."""
    query = select(Enrolment.id).where(Enrolment.course_id == course.id)
    if period is None:
        return query.where(Enrolment.is_archived.is_(False))
    return query.where(Enrolment.enrolled_at <= period.end,
                       or_(Enrolment.completed_at.is_(None), Enrolment.completed_at > period.start))


def roster_status(completed_at: datetime | None, due_at: datetime | None, started: bool,
                  certificate: CertificateStatus | None, now: datetime) -> str:
    """Where a trainee stands (``statuses.enrolment_status``), from a roster row's columns."""
    return enrolment_status(completed=completed_at is not None,
                            revoked=certificate is CertificateStatus.REVOKED,
                            overdue=due_at is not None and due_at < now, started=started)


def started_clause():
    """SQL: the enrolment (of the enclosing query) has opened an active module or begun an activity."""
    return or_(
        select(ModuleProgress.id).join(Module, ModuleProgress.module_id == Module.id)
        .where(ModuleProgress.enrolment_id == Enrolment.id, Module.is_archived.is_(False)).exists(),
        select(QuizAttempt.id).where(QuizAttempt.enrolment_id == Enrolment.id).exists(),
        select(ScenarioPlay.id).where(ScenarioPlay.enrolment_id == Enrolment.id).exists())


def revoked_clause():
    """SQL: the enrolment's current certificate is revoked."""
    return select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id,
                                        Certificate.superseded_by_id.is_(None),
                                        Certificate.revoked_at.is_not(None)).exists()


def status_column(now: datetime):
    """SQL: the enrolment's status, as ``roster_status`` defines it, for queries that count or
    sort in the database."""
    return case((and_(Enrolment.completed_at.is_not(None), ~revoked_clause()), COMPLETED),
                (and_(Enrolment.due_at.is_not(None), Enrolment.due_at < now), OVERDUE),
                (or_(started_clause(), Enrolment.completed_at.is_not(None)), IN_PROGRESS),
                else_=NOT_STARTED)


def open_enrolments(course: Course):
    """SQL condition: the open (not archived) enrolments of the course."""
    return and_(Enrolment.course_id == course.id, Enrolment.is_archived.is_(False))


def people_matching(search: str, department: str, cohort: str):
    """SQL conditions on the enrolment's person (``User`` joined): name or 工号 containing the
    search text, in the department and cohort chosen (empty: any)."""
    conditions = []
    needle = fields.search_text(search).lower()
    if needle:
        conditions.append(or_(func.lower(User.display_name).contains(needle, autoescape=True),
                              func.lower(User.employee_no).contains(needle, autoescape=True)))
    if department:
        conditions.append(User.department == department)
    if cohort:
        conditions.append(User.cohort == cohort)
    return and_(true(), *conditions)


def current_certificate(course: Course, now: datetime):
    """The certificate the roster shows for the enrolment's person: their newest of the course
    not replaced and issued by ``now``, of whichever cycle (after a refresher starts, the
    earlier cycle's certificate still certifies them until it expires), to join outer: an alias,
    so that ``status_column``'s own look at certificates stays correlated."""
    current = aliased(Certificate, name="current_certificate")
    newer = aliased(Certificate, name="newer_certificate")
    shown = and_(current.user_id == Enrolment.user_id, current.course_id == course.id,
                 current.superseded_by_id.is_(None), current.issued_at <= now)
    later = (select(newer.id).where(newer.user_id == current.user_id, newer.course_id == course.id,
                                    newer.superseded_by_id.is_(None), newer.issued_at <= now,
                                    or_(newer.issued_at > current.issued_at,
                                        and_(newer.issued_at == current.issued_at,
                                             newer.enrolment_id > current.enrolment_id)))
             .correlate(current).exists())
    return current, and_(shown, ~later)


def certificate_column(current, now: datetime):
    """SQL: the status of the joined ``current_certificate`` as the roster row has it (NULL for none)."""
    return case((current.id.is_(None), null()),
                else_=certificate_status_column(current.revoked_at, current.superseded_by_id,
                                                current.expires_at, now))


def status_counts(course: Course, now: datetime | None = None) -> dict[str, int]:
    """What ``counts`` gives for the roster, counted in the database by one GROUP BY."""
    now = now or utcnow()
    current, joined = current_certificate(course, now)
    status = status_column(now).label("status")
    certificate = certificate_column(current, now).label("certificate")
    found = {key: 0 for key in (*STATUSES, "enrolled", "expiring", "revoked")}
    for state, certificate_state, number in session.execute(
            select(status, certificate, func.count()).select_from(Enrolment).outerjoin(current, joined)
            .where(open_enrolments(course)).group_by(status, certificate)):
        found[state] += number
        found["enrolled"] += number
        if certificate_state == CertificateStatus.EXPIRING:
            found["expiring"] += number
        elif certificate_state == CertificateStatus.REVOKED:
            found["revoked"] += number
    return found


def course_roster(course: Course, now: datetime | None = None, period: Period | None = None,
                  enrolments: Sequence[int] | None = None) -> list[RosterRow]:
    """Every open enrolment of the course with its status: six queries, whatever the size; or
    only the ``enrolments`` named (a page of the roster, a batch of an export), in that order.

    With a ``period``: the enrolments of that period (``roster_enrolments``) as they stood at
    its end (modules read, completion, overdue, and the certificate then current with its status
    then: one revoked or replaced later was not yet)."""
    now = now or utcnow()
    as_of = min(now, period.end) if period is not None else now
    if enrolments is not None and not enrolments:
        return []
    chosen = (roster_enrolments(course, period).scalar_subquery() if enrolments is None
              else list(enrolments))
    found = session.execute(  # plain columns: no ORM objects for thousands of rows
        select(Enrolment.id, Enrolment.enrolled_at, Enrolment.due_at, Enrolment.completed_at,
               User.id.label("user_id"), User.display_name, User.employee_no, User.department,
               User.cohort, activated_clause().label("activated"))
        .join(User, Enrolment.user_id == User.id)
        .where(Enrolment.id.in_(chosen))).all()
    if enrolments is not None:
        position = {enrolment_id: index for index, enrolment_id in enumerate(enrolments)}
        found.sort(key=lambda enrolment: position[enrolment.id])
    in_course = (select(Enrolment.id).where(Enrolment.course_id == course.id).scalar_subquery()
                 if enrolments is None else chosen)
    active_modules = select(Module.id).where(Module.course_id == course.id,
                                             Module.is_archived.is_(False)).scalar_subquery()
    modules_total = session.scalar(select(func.count()).select_from(Module).where(
        Module.course_id == course.id, Module.is_archived.is_(False))) or 0
    progress = dict(session.execute(
        select(ModuleProgress.enrolment_id, func.count(case((ModuleProgress.completed_at <= as_of, 1))))
        .where(ModuleProgress.enrolment_id.in_(in_course), ModuleProgress.module_id.in_(active_modules),
               ModuleProgress.first_opened_at <= as_of)
        .group_by(ModuleProgress.enrolment_id)).all())
    readings = Readings(course, in_course, active_modules)
    steps = structure(course)
    activities_done = activities_passed(course, steps, in_course, as_of)
    steps_total = len(steps.modules) + len(steps.step_activities)
    started = set(session.scalars(
        select(QuizAttempt.enrolment_id).where(QuizAttempt.enrolment_id.in_(in_course),
                                               QuizAttempt.started_at <= as_of)
        .union(select(ScenarioPlay.enrolment_id).where(ScenarioPlay.enrolment_id.in_(in_course),
                                                       ScenarioPlay.started_at <= as_of))))
    current = (Certificate.superseded_by_id.is_(None) if period is None
               else or_(Certificate.superseded_at.is_(None), Certificate.superseded_at > as_of))
    # today's roster shows each person's newest certificate, of any cycle (``current_certificate``);
    # a period's, each cycle's own as it stood at the period's end
    by_person = period is None
    certificates = {(c.user_id if by_person else c.enrolment_id): c for c in session.execute(
        select(Certificate.enrolment_id, Certificate.user_id, Certificate.serial, Certificate.issued_at,
               Certificate.expires_at, Certificate.revoked_at, Certificate.superseded_by_id)
        .where(current, Certificate.issued_at <= as_of, Certificate.course_id == course.id,
               Certificate.user_id.in_({e.user_id for e in found}) if enrolments is not None and by_person
               else Certificate.enrolment_id.in_(chosen) if enrolments is not None else true())
        .order_by(Certificate.issued_at, Certificate.enrolment_id)).all()}
    rows = []
    for enrolment in found:
        done = progress.get(enrolment.id, 0)
        has_started = enrolment.id in progress or enrolment.id in started
        certificate = certificates.get(enrolment.user_id if by_person else enrolment.id)
        revoked_at = (certificate.revoked_at if certificate is not None and certificate.revoked_at is not None
                      and certificate.revoked_at <= as_of else None)
        state = (certificate_status(revoked_at, None, certificate.expires_at, as_of)  # current at as_of
                 if certificate is not None else None)
        completed_at = enrolment.completed_at
        if completed_at is not None and completed_at > as_of:
            completed_at = None  # completed after the period
        rows.append(RosterRow(
            enrolment.id, enrolment.user_id, enrolment.display_name, enrolment.employee_no,
            enrolment.department, enrolment.cohort, enrolment.enrolled_at, enrolment.due_at,
            completed_at, done, modules_total, has_started,
            roster_status(completed_at, enrolment.due_at, has_started,  # its own certificate's revocation
                          state if certificate is not None and certificate.enrolment_id == enrolment.id
                          else None, as_of),
            certificate.serial if certificate else None, state,
            certificate.issued_at if certificate else None, certificate.expires_at if certificate else None,
            revoked_at,
            done + activities_done.get(enrolment.id, 0), steps_total, partial(readings.of, enrolment.id),
            bool(enrolment.activated)))
    return rows


def activities_passed(course: Course, steps: Structure, enrolments, as_of: datetime) -> dict[int, int]:
    """Per enrolment, how many of the activities that are steps of the course (``steps``) were
    passed by ``as_of``: counted in the database, one query."""
    counted = passed_counts(steps, enrolments, as_of)
    return dict(session.execute(counted).all()) if counted is not None else {}


def passed_counts(steps: Structure, enrolments, as_of: datetime):
    """SQL: (enrolment id, activities passed) for ``activities_passed``; None when the course has
    no activity among its steps."""
    slugs = steps.step_activities
    if not slugs:
        return None
    ids = [steps.activities[slug].id for slug in slugs if slug != SUMMARY_SLUG]
    passed = [
        select(QuizAttempt.enrolment_id, QuizAttempt.activity_id)
        .where(QuizAttempt.enrolment_id.in_(enrolments), QuizAttempt.activity_id.in_(ids),
               QuizAttempt.state == GRADED, QuizAttempt.is_passed.is_(True),
               or_(QuizAttempt.graded_at.is_(None), QuizAttempt.graded_at <= as_of)),
        select(ScenarioPlay.enrolment_id, ScenarioPlay.activity_id)
        .where(ScenarioPlay.enrolment_id.in_(enrolments), ScenarioPlay.activity_id.in_(ids),
               ScenarioPlay.is_passed.is_(True), ScenarioPlay.finished_at <= as_of)]
    if SUMMARY_SLUG in slugs:
        reviewed = TrainingSummary.reviewed_at
        passed.append(select(TrainingSummary.enrolment_id, literal(0))
                      .where(TrainingSummary.enrolment_id.in_(enrolments), TrainingSummary.status == APPROVED,
                             or_(reviewed.is_(None), reviewed <= as_of)))
    found = union_all(*passed).subquery()
    return (select(found.c[0].label("enrolment_id"), func.count(found.c[1].distinct()).label("passed"))
            .group_by(found.c[0]))


class Readings:
    """The engaged time of every enrolment of a roster, loaded in one query when first asked."""

    def __init__(self, course: Course, enrolments, active_modules):
        self.course, self.enrolments, self.active_modules = course, enrolments, active_modules
        self.modules = [m for m in structure(course).modules if m.revision_id is not None]
        self._times: dict[int, dict[int, tuple[int, int]]] | None = None

    def times(self) -> dict[int, dict[int, tuple[int, int]]]:  # enrolment -> module -> (seconds, minutes)
        if self._times is None:
            self._times = {}
            for enrolment_id, module_id, seconds, minutes in session.execute(
                    select(ModuleProgress.enrolment_id, ModuleProgress.module_id,
                           ModuleProgress.seconds_spent, ModuleRevision.minutes)
                    .join(ModuleRevision, ModuleProgress.revision_id == ModuleRevision.id)
                    .where(ModuleProgress.enrolment_id.in_(self.enrolments),
                           ModuleProgress.module_id.in_(self.active_modules))):
                self._times.setdefault(enrolment_id, {})[module_id] = (seconds, minutes)
        return self._times

    def of(self, enrolment_id: int) -> ReadingTime:
        mine = self.times().get(enrolment_id, {})
        return reading_time(self.course.hours, self.course.settings, [
            ModuleRead(m.slug, m.title, mine[m.id][1] if m.id in mine else m.minutes,
                       mine[m.id][0] if m.id in mine else 0) for m in self.modules])


def counts(rows: list[RosterRow], now: datetime) -> dict[str, int]:
    found = {status: 0 for status in STATUSES}
    for row in rows:
        found[row.status] += 1
    found["enrolled"] = len(rows)
    found["expiring"] = sum(row.expiring(now) for row in rows)
    found["revoked"] = sum(row.certificate_revoked for row in rows)
    return found


STATUS_LABELS = {NOT_STARTED: "未开始", IN_PROGRESS: "学习中", COMPLETED: "已完成", OVERDUE: "已逾期"}


def export_headers(course: Course) -> list[str]:
    """The columns of HR's CSV and XLSX: the trainee, status, dates, certificate, then the recorded
    engaged minutes of each module, their total and the hours credited."""
    modules = [m.current_revision.title for m in course.active_modules if m.current_revision is not None]
    return (["工号", "姓名", "部门", "班组", "状态", "学习进度(%)", "已学单元", "截止日期", "完成日期",
             "证书编号", "证书状态", "证书签发日期", "证书有效期至", "证书撤销日期"]
            + [f"有效学习(分钟)：{title}" for title in modules]
            + ["有效学习合计(分钟)", "最低要求(分钟)", "认定学时"])


def export_rows(rows: Iterable[RosterRow]) -> Iterator[list[object]]:
    """The rows under ``export_headers``, as they come; the certificate status is the roster's
    (as of its moment)."""
    labels = CertificateStatus.record_labels()
    return ([r.employee_no, r.name, r.department, r.cohort, STATUS_LABELS[r.status], r.percent,
             f"{r.modules_done}/{r.modules_total}", local_day(r.due_at), local_day(r.completed_at), r.serial,
             labels[r.certificate_status] if r.certificate_status else None,
             local_day(r.certificate_issued_at), local_day(r.certificate_expires_at),
             local_day(r.certificate_revoked_at)]
            + [module.minutes for module in r.reading.modules]
            + [r.reading.minutes, r.reading.required, r.reading.credited_hours] for r in rows)

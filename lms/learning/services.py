"""Enrolments and progress through a course. Plain functions; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload

from ..accounts.models import TRAINEE, User, UserRole
from ..assessments.progress import ActivityStatus, activity_statuses, trainee_rows
from ..assessments.progress import Row as ActivityRow
from ..db import insert_missing, locked, session, utcnow
from ..signals import enrolled, progress_changed, roles_changed
from ..statuses import COMPLETED, IN_PROGRESS, LOCKED, NOT_STARTED, enrolment_status
from .models import Course, Enrolment, Module, ModuleProgress, ModuleRevision
from .reading import ModuleRead, ModuleTime, ReadingTime, reading_time
from .structure import ModuleInfo, structure

if TYPE_CHECKING:
    from ..certificates.models import Certificate

#: Grace added to the time since the last report, for clocks and network delays.
REPORT_SLACK_SECONDS = 5
#: A single report never counts more than this (a tab left open overnight is not study).
MAX_REPORT_SECONDS = 30 * 60


# --- enrolment -------------------------------------------------------------------------------

def _due_at(course: Course, start: datetime) -> datetime | None:
    return start + timedelta(days=course.due_days) if course.due_days else None


def enrol(user: User, course: Course, source: str = "default") -> tuple[Enrolment, bool]:
    """The user's current enrolment in ``course``, creating it if needed (once, however many
    requests ask at the same moment: an insert that does nothing when the cycle exists)."""
    enrolment = current_enrolment(user, course)
    if enrolment is not None:
        return enrolment, False
    now = utcnow()
    cycle = (session.scalar(select(func.max(Enrolment.cycle)).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id)) or 0) + 1
    created = insert_missing(Enrolment, {
        "user_id": user.id, "course_id": course.id, "cycle": cycle, "source": source,
        "enrolled_at": now, "due_at": _due_at(course, now), "is_archived": False,
    }, ("user_id", "course_id", "cycle"))
    enrolment = current_enrolment(user, course)
    if enrolment is None:  # the cycle was taken by a re-enrolment that archived it meanwhile
        raise RuntimeError(f"no current enrolment of user {user.id} in {course.slug}")
    if created:
        enrolled.send(enrolment)
    return enrolment, created


def enrol_all_trainees(course: Course) -> int:
    """Enrol every active trainee not yet enrolled in ``course``; returns how many."""
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course.id,
                                               Enrolment.is_archived.is_(False))
    trainees = session.scalars(
        select(User).where(User.is_active.is_(True), User.id.not_in(enrolled),
                           User.role_rows.any(UserRole.role == TRAINEE))
    ).all()
    for user in trainees:
        enrol(user, course)
    return len(trainees)


def enrol_in_default_courses(user: User) -> int:
    if TRAINEE not in user.roles:
        return 0
    courses = session.scalars(select(Course).where(Course.enrol_all_trainees.is_(True),
                                                   Course.is_archived.is_(False))).all()
    return sum(enrol(user, course)[1] for course in courses)


@roles_changed.connect
def _enrol_new_trainee(user: User, **_: object) -> None:
    enrol_in_default_courses(user)


#: Statements every trainee page runs, built once (see ``accounts.identity._USER_WITH_ROLES``).
_CURRENT_ENROLMENT = (
    select(Enrolment)
    .where(Enrolment.user_id == bindparam("user_id"), Enrolment.course_id == bindparam("course_id"),
           Enrolment.is_archived.is_(False))
    .options(joinedload(Enrolment.progress)))
_OPEN_ENROLMENTS = (
    select(Enrolment)
    .join(Enrolment.course)
    .where(Enrolment.user_id == bindparam("user_id"), Enrolment.is_archived.is_(False),
           Course.is_archived.is_(False))
    .options(contains_eager(Enrolment.course), joinedload(Enrolment.progress)))
_COURSE_BY_SLUG = select(Course).where(Course.slug == bindparam("slug"), Course.is_archived.is_(False))


_COURSE_AND_ENROLMENT = (
    select(Course, Enrolment)
    .outerjoin(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == bindparam("user_id"),
                               Enrolment.is_archived.is_(False)))
    .where(Course.slug == bindparam("slug"), Course.is_archived.is_(False))
    .options(joinedload(Enrolment.progress)))


def course_and_enrolment(slug: str, user: User) -> tuple[Course | None, Enrolment | None]:
    """The course ``slug`` and the user's enrolment in it with its reading progress, in the one
    statement every trainee page of a course starts with."""
    row = session.execute(_COURSE_AND_ENROLMENT, {"slug": slug, "user_id": user.id}).unique().first()
    return (row[0], row[1]) if row is not None else (None, None)


def current_enrolment(user: User, course: Course) -> Enrolment | None:
    """The user's enrolment in ``course`` that is not archived, with its reading progress (one
    query)."""
    return session.execute(_CURRENT_ENROLMENT, {"user_id": user.id, "course_id": course.id}
                           ).unique().scalar_one_or_none()


# --- where a trainee stands ------------------------------------------------------------------

def percent_complete(done: int, total: int) -> int:
    """How far a trainee is through a course, as every page, export and report shows it: the
    share of its steps done (each active module, then each activity a module lists, the summary
    included when listed), rounded to a whole percent; 100 only when every step is done."""
    if not total:
        return 0
    return 100 if done >= total else min(99, round(100 * done / total))


@dataclass(frozen=True)
class ModuleStatus:
    module: ModuleInfo
    state: str
    progress: ModuleProgress | None

    @property
    def updated_since_completed(self) -> bool:
        return (self.state == COMPLETED and self.progress is not None
                and self.progress.revision_id != self.module.current_revision_id)


@dataclass(frozen=True)
class CourseStatus:
    course: Course
    enrolment: Enrolment | None
    modules: list[ModuleStatus]
    #: the trainee's state in each activity (quizzes, case studies, scenarios, the summary)
    activities: dict[str, ActivityStatus] = field(default_factory=dict)

    def activities_of(self, module: Module | ModuleInfo) -> list[ActivityStatus]:
        revision = module.current_revision
        return [self.activities[slug] for slug in (revision.activities if revision else ())
                if slug in self.activities]

    # A status is a snapshot: its steps and percent are worked out once (a page asks many times).
    @cached_property
    def steps(self) -> list[ModuleStatus | ActivityStatus]:
        """Everything the course asks for, in order: each module, then its activities (an activity
        two modules list, once); the steps ``percent_complete`` counts."""
        found: list[ModuleStatus | ActivityStatus] = []
        listed: set[str] = set()
        for status in self.modules:
            found.append(status)
            found += [a for a in self.activities_of(status.module) if a.slug not in listed]
            listed.update(a.slug for a in self.activities_of(status.module))
        return found

    @property
    def completed_count(self) -> int:
        return sum(status.state == COMPLETED for status in self.modules)

    @cached_property
    def percent(self) -> int:
        steps = self.steps
        done = sum(s.state == COMPLETED if isinstance(s, ModuleStatus) else s.is_done for s in steps)
        return percent_complete(done, len(steps))

    @property
    def is_complete(self) -> bool:
        return bool(self.modules) and self.percent == 100

    @property
    def next_module(self) -> ModuleStatus | None:
        """The first module not yet completed."""
        return next((s for s in self.modules if s.state in (IN_PROGRESS, NOT_STARTED)), None)

    @property
    def next_step(self) -> ModuleStatus | ActivityStatus | None:
        """Where to carry on: the first module or activity not yet done (and not locked)."""
        for step in self.steps:
            if isinstance(step, ModuleStatus):
                if step.state in (IN_PROGRESS, NOT_STARTED):
                    return step
                if step.state == LOCKED:
                    return None
            elif not step.is_done and step.state != "waiting":
                return step
        return None

    @property
    def is_started(self) -> bool:
        """A module opened or an activity begun (the training summary aside), as HR counts it."""
        return (any(s.state in (IN_PROGRESS, COMPLETED) for s in self.modules)
                or any(a.kind != "summary" and a.state not in (NOT_STARTED, LOCKED)
                       for a in self.activities.values()))

    def state(self, certificate: Certificate | None = None, now: datetime | None = None) -> str:
        """Where the trainee stands in the course (``statuses.enrolment_status``), given the
        enrolment's current certificate: what the HR roster, the exports and the reports say of
        the same enrolment."""
        enrolment = self.enrolment
        now = now or utcnow()
        return enrolment_status(
            completed=enrolment.completed_at is not None,
            revoked=certificate is not None and certificate.revoked_at is not None,
            overdue=enrolment.due_at is not None and enrolment.due_at < now, started=self.is_started)

    @property
    def is_overdue(self) -> bool:
        enrolment = self.enrolment
        return (enrolment is not None and enrolment.due_at is not None
                and enrolment.completed_at is None and enrolment.due_at < utcnow())

    @property
    def minutes_left(self) -> int:
        return sum(s.module.current_revision.minutes for s in self.modules
                   if s.state != COMPLETED and s.module.current_revision is not None)

    @property
    def reading(self) -> ReadingTime:
        """The trainee's recorded engaged time per module and in total, and the hours credited."""
        return course_reading(self.course, [(s.module, s.progress) for s in self.modules])

    def status_of(self, module: Module | ModuleInfo) -> ModuleStatus:
        return next(s for s in self.modules if s.module.id == module.id)

    def neighbours(self, module: Module | ModuleInfo) -> tuple[ModuleStatus | None, ModuleStatus | None]:
        index = next(i for i, s in enumerate(self.modules) if s.module.id == module.id)
        previous = self.modules[index - 1] if index > 0 else None
        following = self.modules[index + 1] if index + 1 < len(self.modules) else None
        return previous, following


def course_status(course: Course, enrolment: Enrolment | None, with_activities: bool = True,
                  rows: list[ActivityRow] | None = None) -> CourseStatus:
    """Where ``enrolment`` (None: staff looking around) stands in each active module of ``course``
    (as the course's cached structure has them) and in each activity."""
    progress = {p.module_id: p for p in enrolment.progress} if enrolment is not None else {}
    statuses, blocked = [], False
    for module in structure(course).modules:
        row = progress.get(module.id)
        if row is not None and row.is_complete:
            state = COMPLETED
        elif blocked:
            state = LOCKED
        else:
            state = IN_PROGRESS if row is not None else NOT_STARTED
        if state != COMPLETED and course.is_sequential and enrolment is not None:
            blocked = True
        statuses.append(ModuleStatus(module, state, row))
    activities = activity_statuses(course, enrolment, rows) if with_activities else {}
    return CourseStatus(course, enrolment, statuses, activities)


def module_of(status: CourseStatus, slug: str) -> ModuleStatus | None:
    """The module that lists activity ``slug`` (None for an activity of the course as a whole)."""
    return next((s for s in status.modules if s.module.current_revision is not None
                 and slug in s.module.current_revision.activities), None)


def activity_blocked_by(status: CourseStatus, slug: str) -> ModuleInfo | None:
    """Whether activity ``slug`` is open for the enrolment of ``status``: None when it is, else
    the module to complete first.

    Only a sequential course holds activities back: those of a module open with the module (when
    the modules before it are complete); an activity no module lists is the course's own, open
    once every module is complete. Without an enrolment (staff looking around) nothing is held.
    """
    if not status.course.is_sequential or status.enrolment is None:
        return None
    owner = module_of(status, slug)
    if owner is not None and owner.state != LOCKED:
        return None
    if owner is None and all(s.state == COMPLETED for s in status.modules):
        return None
    first_open = status.next_module or owner
    return first_open.module if first_open is not None else None


def dashboard(user: User) -> list[CourseStatus]:
    """Every course assigned to ``user``: overdue first, then by due date."""
    enrolments = session.execute(_OPEN_ENROLMENTS, {"user_id": user.id}).unique().scalars().all()
    rows = trainee_rows([e.id for e in enrolments])  # every course's activities in one query
    statuses = [course_status(e.course, e, rows=rows.get(e.id, [])) for e in enrolments]
    far_future = datetime.max.replace(tzinfo=utcnow().tzinfo)
    return sorted(statuses, key=lambda s: (s.enrolment.completed_at is not None, not s.is_overdue,
                                           s.enrolment.due_at or far_future, s.course.title))


def all_courses() -> list[Course]:
    return list(session.scalars(select(Course).where(Course.is_archived.is_(False))
                                .order_by(Course.title)))


def get_course(slug: str) -> Course | None:
    return session.scalar(_COURSE_BY_SLUG, {"slug": slug})


def find_module(course: Course, slug: str) -> ModuleInfo | None:
    """The active module ``slug`` of ``course``, from its cached structure."""
    return next((m for m in structure(course).modules if m.slug == slug), None)


# --- reading ---------------------------------------------------------------------------------

def open_module(enrolment: Enrolment, module: Module | ModuleInfo,
                now: datetime | None = None) -> ModuleProgress:
    """Record that the trainee has ``module`` open now (the progress beacon's visit)."""
    return _visit(enrolment, module, now or utcnow())[0]


def _visit(enrolment: Enrolment, module: Module | ModuleInfo, now: datetime) -> tuple[ModuleProgress, bool]:
    """The progress row, created once however many tabs report at the same moment (and whether
    this call created it), locked so that the reports of two tabs count one after the other."""
    created = insert_missing(ModuleProgress, {
        "enrolment_id": enrolment.id, "module_id": module.id, "revision_id": module.current_revision_id,
        "first_opened_at": now, "last_seen_at": now, "seconds_spent": 0,
    }, ("enrolment_id", "module_id"))
    row_id = session.scalar(select(ModuleProgress.id).where(
        ModuleProgress.enrolment_id == enrolment.id, ModuleProgress.module_id == module.id))
    row = locked(ModuleProgress, row_id)
    session.expire(enrolment, ["progress"])  # the collection loaded earlier may lack the new row
    return row, created


def record_reading(enrolment: Enrolment, module: Module | ModuleInfo, seconds: int, reached_end: bool,
                   revision_id: int | None = None, now: datetime | None = None) -> ModuleProgress:
    """Add the engaged reading time the browser reports, remember when the end was reached, and
    complete the module once both hold: the end reached and the module's minimum time spent.

    The time counted is bounded by the wall-clock time that has really passed since the last
    report (or since the first report, the visit the page sends when it opens), give or take a
    grace for clocks and networks that is lent, not given: a report credited beyond the time
    passed moves ``last_seen_at`` ahead by as much, so the next report starts from there and a
    burst of reports earns the grace once, not once each.
    """
    now = now or utcnow()
    row, created = _visit(enrolment, module, now)
    # the first report opens the row: no time has passed on record before it
    elapsed = 0 if created else (now - row.last_seen_at).total_seconds() + REPORT_SLACK_SECONDS
    credited = int(max(0, min(seconds, elapsed, MAX_REPORT_SECONDS)))
    row.seconds_spent += credited
    row.last_seen_at = max(now, row.last_seen_at + timedelta(seconds=credited))
    if row.is_complete:
        session.flush()
        return row
    shown = session.get(ModuleRevision, revision_id) if revision_id else None
    if shown is not None and shown.module_id == module.id:
        row.revision = shown
    elif revision_id is None:
        row.revision_id = module.current_revision_id
    if reached_end and row.reached_end_at is None:
        row.reached_end_at = now
    if row.reached_end_at is not None and module_time(enrolment.course, row, module).is_enough:
        row.completed_at = now
        progress_changed.send(enrolment)
    session.flush()
    return row


def module_time(course: Course, row: ModuleProgress | None,
                module: Module | ModuleInfo | None = None) -> ModuleTime:
    """The engaged time ``row`` records and the minimum its module asks for (of the revision read,
    or the module's current one before it is opened)."""
    return course_reading(course, [(module or row.module, row)]).modules[0]


def course_reading(course: Course,
                   rows: list[tuple[Module | ModuleInfo, ModuleProgress | None]]) -> ReadingTime:
    """The recorded engaged time of these modules (by the revision each was read in), and the
    hours it credits."""
    reads = []
    for module, row in rows:
        read_current = row is None or row.revision_id in (None, module.current_revision_id)
        revision = module.current_revision if read_current else row.revision
        reads.append(ModuleRead(module.slug, revision.title, revision.minutes,
                                row.seconds_spent if row is not None else 0))
    return reading_time(course.hours, course.settings, reads)

"""HR's roster of a course, filtered, sorted and paged in the database.

The same few queries at 20 trainees or 10,000: one counts the enrolments the filters select, one
reads the ids of a page of them in order, ``hr.course_roster`` builds that page's rows, and
``hr.status_counts`` counts every status with one GROUP BY. Statuses are filtered and sorted with
``hr.status_column`` and ``certificate_status_column``, the SQL twins of the Python definitions
the rows carry. Exports read every id in order, then build the rows in batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, case, func, literal, select

from .. import fields
from ..accounts.activation import activated_clause
from ..accounts.models import User
from ..certificates.models import EXPIRING_WITHIN
from ..db import session
from ..learning.models import Course, Enrolment, Module, ModuleProgress
from ..learning.structure import structure
from ..paging import PER_PAGE, Pager, page_size
from ..params import parse_day
from . import hr

BATCH = 500  # rows an export builds at a time
EXPIRING_DAYS = (30, 60, 90)  # the choices of "expiring within"
NO_CERTIFICATE = "none"


@dataclass(frozen=True)
class RosterFilter:
    search: str = ""
    department: str = ""
    cohort: str = ""
    status: str = ""  # one of hr.STATUSES, or expiring
    certificate: str = ""  # a CertificateStatus, or "none" for no certificate
    due_from: date | None = None
    due_to: date | None = None
    within: int | None = None  # days, for status=expiring (one of EXPIRING_DAYS; else 30)
    sort: str = "employee_no"
    descending: bool = False

    SORTS = ("employee_no", "name", "department", "due_at", "percent", "status", "completed_at")

    @property
    def expiring_within(self) -> timedelta:
        return timedelta(days=self.within) if self.within in EXPIRING_DAYS else EXPIRING_WITHIN


@dataclass(frozen=True)
class RosterPage:
    rows: list[hr.RosterRow]
    pager: Pager  # which of the rows the filters select these are
    not_activated: int  # of the people selected, those who cannot sign in yet


def natural_rank(column, values: Sequence[str]):
    """SQL: the position of the column's value among ``values`` (already in natural order), so
    that the database sorts 催收二部 before 催收十部; other values and NULL first."""
    if not values:
        return literal(0)
    return case({value: index for index, value in enumerate(values)}, value=column, else_=-1)


def selected(course: Course, wanted: RosterFilter, now: datetime) -> Select:
    """SQL: the open enrolments of the course the filters select, with their person, joined to
    their current certificate (``hr.current_certificate``) when a filter asks about it."""
    current, joined = hr.current_certificate(course, now)
    query = (select(Enrolment.id).select_from(Enrolment).join(User, Enrolment.user_id == User.id)
             .where(hr.open_enrolments(course)))
    if wanted.status == "expiring" or wanted.certificate:
        query = query.outerjoin(current, joined)
    query = query.where(hr.people_matching(wanted.search, wanted.department, wanted.cohort))
    if wanted.status == "expiring":  # current, and expires within the chosen days
        query = query.where(current.id.is_not(None), current.revoked_at.is_(None),
                            current.expires_at > now, current.expires_at <= now + wanted.expiring_within)
    elif wanted.status:
        query = query.where(hr.status_column(now) == wanted.status)
    if wanted.certificate == NO_CERTIFICATE:
        query = query.where(current.id.is_(None))
    elif wanted.certificate:
        query = query.where(hr.certificate_column(current, now) == wanted.certificate)
    if wanted.due_from:
        query = query.where(Enrolment.due_at > hr.start_of_day(wanted.due_from))
    if wanted.due_to:
        query = query.where(Enrolment.due_at <= hr.end_of_day(wanted.due_to))
    return query


def applied_sort(sort: str) -> str:
    return sort if sort in RosterFilter.SORTS else "employee_no"


def _ordered(query: Select, course: Course, wanted: RosterFilter, now: datetime) -> Select:
    """The query sorted as the roster's column headings ask; ties by employee number, then id.
    A missing date sorts after every date."""
    sort = applied_sort(wanted.sort)
    if sort == "name":
        key = [User.display_name]
    elif sort == "department":
        departments, _cohorts = hr.departments_and_cohorts()
        key = [natural_rank(User.department, departments)]
    elif sort in ("due_at", "completed_at"):
        moment = getattr(Enrolment, sort)
        key = [case((moment.is_(None), 1), else_=0), moment]
    elif sort == "status":
        key = [case({status: index for index, status in enumerate(hr.STATUSES)}, value=hr.status_column(now))]
    elif sort == "percent":
        done, query = _steps_done(query, course, now)
        key = [done]
    else:
        key = [func.coalesce(User.employee_no, "")]
    if wanted.descending:
        key = [part.desc() for part in key]
    return query.order_by(*key, func.coalesce(User.employee_no, ""), Enrolment.id)


def _steps_done(query: Select, course: Course, now: datetime):
    """The steps each enrolment has done (``RosterRow.steps_done``: modules read to the end, and
    step activities passed), joined to the query; the percent follows it, the steps in all being
    the same for everyone."""
    ids = select(Enrolment.id).where(hr.open_enrolments(course)).scalar_subquery()
    modules = (select(ModuleProgress.enrolment_id.label("enrolment_id"),
                      func.count(case((ModuleProgress.completed_at <= now, 1))).label("done"))
               .join(Module, ModuleProgress.module_id == Module.id)
               .where(ModuleProgress.enrolment_id.in_(ids), Module.course_id == course.id,
                      Module.is_archived.is_(False), ModuleProgress.first_opened_at <= now)
               .group_by(ModuleProgress.enrolment_id).subquery())
    query = query.outerjoin(modules, modules.c.enrolment_id == Enrolment.id)
    done = func.coalesce(modules.c.done, 0)
    passed = hr.passed_counts(structure(course), ids, now)
    if passed is not None:
        passed = passed.subquery()
        query = query.outerjoin(passed, passed.c.enrolment_id == Enrolment.id)
        done = done + func.coalesce(passed.c.passed, 0)
    return done, query


def roster_page(course: Course, wanted: RosterFilter, now: datetime, page: int = 1,
                per_page: int = PER_PAGE) -> RosterPage:
    """One page of the rows the filters select, in the order asked; a page past the last shows the last."""
    chosen = selected(course, wanted, now).add_columns(activated_clause().label("activated")).subquery()
    total, not_activated = session.execute(
        select(func.count(), func.coalesce(func.sum(case((chosen.c.activated, 0), else_=1)), 0))).one()
    pager = Pager.of(total, page, page_size(per_page))
    ids = list(session.scalars(_ordered(selected(course, wanted, now), course, wanted, now)
                               .limit(pager.per_page).offset(pager.offset)))
    return RosterPage(hr.course_roster(course, now, enrolments=ids), pager, not_activated)


def selected_ids(course: Course, wanted: RosterFilter, now: datetime) -> list[int]:
    """Every enrolment the filters select, in the order asked: one query."""
    return list(session.scalars(_ordered(selected(course, wanted, now), course, wanted, now)))


def selected_people(course: Course, wanted: RosterFilter, now: datetime, *,
                    not_activated: bool = False) -> list[int]:
    """The user ids of the people the filters select (only those who cannot sign in yet)."""
    query = selected(course, wanted, now).with_only_columns(Enrolment.user_id)
    if not_activated:
        query = query.where(~activated_clause())
    return list(session.scalars(query))


def rows_in_batches(course: Course, ids: Sequence[int], now: datetime, batch: int | None = None
                    ) -> Iterator[hr.RosterRow]:
    """The roster rows of these enrolments, in their order, built ``batch`` (BATCH) at a time;
    a streamed download reads them after the request's session has gone, so each batch loads
    the course afresh."""
    def rows(course_id: int, size: int) -> Iterator[hr.RosterRow]:
        for start in range(0, len(ids), size):
            yield from hr.course_roster(session.get(Course, course_id), now,
                                        enrolments=ids[start:start + size])

    return rows(course.id, batch or BATCH)


def filter_of(args: Mapping[str, str]) -> RosterFilter:
    """The filters of a request's query string (the course page's form)."""
    within = fields.small_int(args.get("within"))
    return RosterFilter(search=args.get("q", ""), department=args.get("department", ""),
                        cohort=args.get("cohort", ""), status=args.get("status", ""),
                        certificate=args.get("certificate", ""),
                        due_from=parse_day(args.get("due_from")), due_to=parse_day(args.get("due_to")),
                        within=within if within is not None and within < 1000 else None,
                        sort=args.get("sort", "employee_no"), descending=args.get("order") == "desc")


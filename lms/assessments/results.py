"""Each trainee's results in every part of a course, for trainers: filtered, sorted and paged in SQL.

A page costs the same handful of queries at 50 trainees or 10,000: one for the columns, one for
the departments and cohorts (their natural order), one to count and one to page the ids of the
matching enrolments (sorted in the database), then one for the page's people and statuses and one
each for their module progress, attempts, plays, summaries and certificates. Exports read every
id in order, then the rows a batch at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select

from ..accounts.models import User
from ..certificates.models import Certificate, CertificateStatus, certificate_status
from ..db import session
from ..learning.models import Course, Enrolment, Module, ModuleProgress
from ..paging import PER_PAGE, Pager, page_size
from ..reports import hr
from .grading import shown_score
from .models import (
    APPROVED,
    CASE,
    DRAFT,
    GRADED,
    QUIZ,
    RETURNED,
    SCENARIO,
    SUBMITTED,
    Activity,
    QuizAttempt,
    ScenarioPlay,
    TrainingSummary,
)
from .quizzes import QuizStatus
from .scenarios import best_play

MODULE, SUMMARY, CERTIFICATE = "module", "summary", "certificate"
#: the column groups, in the order the table shows them
GROUPS = (MODULE, QUIZ, CASE, SCENARIO, SUMMARY, CERTIFICATE)
SUMMARY_ORDER = (DRAFT, SUBMITTED, RETURNED, APPROVED)
#: sorts by the trainee rather than a result column
PERSON_SORTS = ("employee_no", "name", "department", "cohort", "status")
SHORT_TITLE = 8  # characters of a column's short name
BATCH = 500  # rows an export reads at a time
SUMMARY_LABELS = {DRAFT: "草稿", SUBMITTED: "待审阅", RETURNED: "已退回", APPROVED: "已通过"}


@dataclass(frozen=True)
class Column:
    """One result column: a module, an activity, the training summary or the certificate."""

    key: str  # what ``sort=`` names: m<module id>, a<activity id>, summary, certificate
    group: str  # one of GROUPS
    title: str
    short: str
    id: int | None = None
    slug: str | None = None


@dataclass(frozen=True)
class ResultsFilter:
    search: str = ""
    department: str = ""
    cohort: str = ""
    status: str = ""  # one of hr.STATUSES
    sort: str = "employee_no"
    descending: bool = False


@dataclass
class ResultRow:
    enrolment_id: int
    name: str
    employee_no: str | None
    department: str | None
    cohort: str | None
    status: str
    modules: dict[int, str] = field(default_factory=dict)  # module id -> "done" or "opened"
    quizzes: dict[int, QuizStatus] = field(default_factory=dict)  # activity id -> attempts (plain rows)
    plays: dict[int, Any] = field(default_factory=dict)  # activity id -> the best finished play
    summary: Any = None  # (id, status)
    certificate: Any = None  # (serial, expires_at, revoked_at)
    certificate_status: CertificateStatus | None = None  # as of the page's moment


@dataclass(frozen=True)
class ResultsPage:
    columns: list[Column]
    rows: list[ResultRow]
    pager: Pager  # which of the enrolments matching the filter these are
    sort: str  # the sort actually applied
    departments: list[str]
    cohorts: list[str]

    @property
    def total(self) -> int:
        return self.pager.total

    @property
    def page(self) -> int:
        return self.pager.page

    @property
    def pages(self) -> int:
        return self.pager.pages

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


# --- the columns ---------------------------------------------------------------------------------

def short_title(title: str, after_colon: bool = False) -> str:
    """A column heading: the first word of the title (催收概述与流程 随堂测验 → 催收概述与流程), of a
    title with a colon the part before it (a module: 注意事项：隐私… → 注意事项), or after it (an
    activity, whose group names its kind: 案例分析：借款人拒绝还款 → 借款人拒绝还款); at most
    SHORT_TITLE characters."""
    words = title.split()
    text = words[0] if words else title
    head, colon, tail = text.replace(":", "：").partition("：")
    if colon:
        text = (tail if after_colon else head) or head or tail
    return text if len(text) <= SHORT_TITLE else text[:SHORT_TITLE - 1] + "…"


def columns_of(course: Course) -> list[Column]:
    """Modules in course order, then quizzes, case studies and call simulations in the order the
    modules name them (the rest by slug), then the training summary and the certificate."""
    modules = [m for m in course.active_modules if m.current_revision is not None]
    named: list[str] = [slug for m in modules for slug in m.current_revision.activities]
    position = {slug: index for index, slug in reversed(list(enumerate(named)))}
    activities = session.execute(
        select(Activity.id, Activity.slug, Activity.kind, Activity.current_revision_id)
        .where(Activity.course_id == course.id, Activity.is_archived.is_(False))).all()
    titles = _activity_titles([a.current_revision_id for a in activities])
    columns = [Column(f"m{m.id}", MODULE, m.current_revision.title, "", m.id, m.slug) for m in modules]
    for kind in (QUIZ, CASE, SCENARIO):
        mine = sorted((a for a in activities if a.kind == kind),
                      key=lambda a: (position.get(a.slug, len(named)), a.slug))
        columns += [Column(f"a{a.id}", kind, titles.get(a.current_revision_id, a.slug), "", a.id, a.slug)
                    for a in mine]
    columns += [Column(SUMMARY, SUMMARY, "", ""), Column(CERTIFICATE, CERTIFICATE, "", "")]
    return [Column(c.key, c.group, c.title, short_title(c.title, c.group in (QUIZ, CASE, SCENARIO)),
                   c.id, c.slug) for c in columns]


def _activity_titles(revision_ids: list[int | None]) -> dict[int, str]:
    from .models import ActivityRevision

    ids = [i for i in revision_ids if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(ActivityRevision.id, ActivityRevision.title)
                                .where(ActivityRevision.id.in_(ids))).all())


# --- filtering and sorting in SQL ----------------------------------------------------------------

def _rank(column, values: list[str]):
    """SQL: the position of the column's value in ``values`` (natural order), NULL last."""
    if not values:
        return literal(0)
    return case({value: index for index, value in enumerate(values)}, value=column, else_=len(values))


def _sort_key(sort: str, columns: dict[str, Column], departments: list[str], cohorts: list[str],
              now: datetime):
    if sort == "name":
        return User.display_name
    if sort == "department":
        return _rank(User.department, departments)
    if sort == "cohort":
        return _rank(User.cohort, cohorts)
    if sort == "status":
        return case({status: index for index, status in enumerate(hr.STATUSES)}, value=hr.status_column(now))
    column = columns.get(sort)
    if column is None:
        return func.coalesce(User.employee_no, "")
    if column.group == MODULE:
        return func.coalesce(select(case((ModuleProgress.completed_at.is_not(None), 2), else_=1))
                             .where(ModuleProgress.enrolment_id == Enrolment.id,
                                    ModuleProgress.module_id == column.id)
                             .limit(1).scalar_subquery(), 0)
    if column.group in (QUIZ, CASE):  # the best graded score; an ungraded attempt above none
        return func.coalesce(select(func.max(case((QuizAttempt.state == GRADED, QuizAttempt.score + 1),
                                                  else_=0)))
                             .where(QuizAttempt.enrolment_id == Enrolment.id,
                                    QuizAttempt.activity_id == column.id).scalar_subquery(), -1)
    if column.group == SCENARIO:  # as best_play ranks plays: passed first, then score
        return func.coalesce(select(func.max(case((ScenarioPlay.is_passed.is_(True), 1000), else_=0)
                                             + func.coalesce(ScenarioPlay.score, 0)))
                             .where(ScenarioPlay.enrolment_id == Enrolment.id,
                                    ScenarioPlay.activity_id == column.id,
                                    ScenarioPlay.finished_at.is_not(None)).scalar_subquery(), -1)
    if column.group == SUMMARY:
        return func.coalesce(select(case({s: i for i, s in enumerate(SUMMARY_ORDER)},
                                         value=TrainingSummary.status, else_=0))
                             .where(TrainingSummary.enrolment_id == Enrolment.id)
                             .scalar_subquery(), -1)
    # the certificate: none (or revoked) first, then by expiry
    valid = and_(Certificate.enrolment_id == Enrolment.id, Certificate.superseded_by_id.is_(None),
                 Certificate.revoked_at.is_(None))
    return [case((select(Certificate.id).where(valid).exists(), 1), else_=0),
            select(func.max(Certificate.expires_at)).where(valid).scalar_subquery()]


def _matching(course: Course, wanted: ResultsFilter, now: datetime) -> Select:
    """SQL: the ids of the open enrolments matching the filter (the status is computed only
    when filtered or sorted by, and then in the database)."""
    query = (select(Enrolment.id).join(User, Enrolment.user_id == User.id)
             .where(hr.open_enrolments(course),
                    hr.people_matching(wanted.search, wanted.department, wanted.cohort)))
    if wanted.status in hr.STATUSES:
        query = query.where(hr.status_column(now) == wanted.status)
    return query


def applied_sort(sort: str, columns: Sequence[Column]) -> str:
    return sort if sort in PERSON_SORTS or any(c.key == sort for c in columns) else "employee_no"


def _ordered(query: Select, sort: str, columns: list[Column], departments: list[str], cohorts: list[str],
             now: datetime, descending: bool) -> Select:
    key = _sort_key(sort, {c.key: c for c in columns}, departments, cohorts, now)
    order = [*(key if isinstance(key, list) else [key]), func.coalesce(User.employee_no, ""), Enrolment.id]
    if descending:
        order = [part.desc() for part in order]
    return query.order_by(*order)


def course_results(course: Course, wanted: ResultsFilter, now: datetime, *, page: int = 1,
                   per_page: int = PER_PAGE) -> ResultsPage:
    """One page of the enrolments matching ``wanted``, sorted in the database."""
    columns = columns_of(course)
    departments, cohorts = hr.departments_and_cohorts()
    sort = applied_sort(wanted.sort, columns)
    query = _matching(course, wanted, now)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pager = Pager.of(total, page, page_size(per_page))
    ids = list(session.scalars(_ordered(query, sort, columns, departments, cohorts, now, wanted.descending)
                               .limit(pager.per_page).offset(pager.offset)))
    return ResultsPage(columns, _rows(ids, course, now), pager, sort, departments, cohorts)


def all_results(course: Course, wanted: ResultsFilter, now: datetime, batch: int | None = None
                ) -> tuple[list[Column], list[int], Iterator[ResultRow]]:
    """For the export: the columns, the ids of every enrolment matching ``wanted`` in order (one
    query), and their rows, read ``batch`` at a time as they are consumed."""
    columns = columns_of(course)
    departments, cohorts = hr.departments_and_cohorts()
    sort = applied_sort(wanted.sort, columns)
    ids = list(session.scalars(_ordered(_matching(course, wanted, now), sort, columns, departments, cohorts,
                                        now, wanted.descending)))

    def rows(course_id: int = course.id, size: int = batch or BATCH) -> Iterator[ResultRow]:
        for start in range(0, len(ids), size):  # streamed after the request's session has gone
            yield from _rows(ids[start:start + size], session.get(Course, course_id), now)

    return columns, ids, rows()


def _rows(ids: list[int], course: Course, now: datetime) -> list[ResultRow]:
    """The rows of these enrolments, in this order: the person and status, then their results."""
    if not ids:
        return []
    found = {r.id: ResultRow(r.id, r.display_name, r.employee_no, r.department, r.cohort, r.status)
             for r in session.execute(
                 select(Enrolment.id, User.display_name, User.employee_no, User.department, User.cohort,
                        hr.status_column(now).label("status"))
                 .join(User, Enrolment.user_id == User.id).where(Enrolment.id.in_(ids)))}
    rows = [found[i] for i in ids if i in found]
    _fill(rows, ids, course, now)
    return rows


def _fill(rows: list[ResultRow], ids, course: Course, now: datetime) -> None:
    """The results of these enrolments (a list of ids, or a subquery): five queries, plain columns."""
    if not rows:
        return
    by_id = {row.enrolment_id: row for row in rows}
    for enrolment_id, module_id, completed_at in session.execute(
            select(ModuleProgress.enrolment_id, ModuleProgress.module_id, ModuleProgress.completed_at)
            .join(Module, ModuleProgress.module_id == Module.id)
            .where(ModuleProgress.enrolment_id.in_(ids), Module.course_id == course.id)):
        by_id[enrolment_id].modules[module_id] = "done" if completed_at is not None else "opened"
    attempts: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for attempt in session.execute(
            select(QuizAttempt.id, QuizAttempt.enrolment_id, QuizAttempt.activity_id, QuizAttempt.number,
                   QuizAttempt.state, QuizAttempt.score, QuizAttempt.is_passed)
            .where(QuizAttempt.enrolment_id.in_(ids))):
        attempts[attempt.enrolment_id, attempt.activity_id].append(attempt)
    for (enrolment_id, activity_id), mine in attempts.items():
        by_id[enrolment_id].quizzes[activity_id] = QuizStatus(None, mine, None, None)  # type: ignore[arg-type]
    plays: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for play in session.execute(
            select(ScenarioPlay.id, ScenarioPlay.enrolment_id, ScenarioPlay.activity_id,
                   ScenarioPlay.finished_at, ScenarioPlay.score, ScenarioPlay.is_passed)
            .where(ScenarioPlay.enrolment_id.in_(ids), ScenarioPlay.finished_at.is_not(None))):
        plays[play.enrolment_id, play.activity_id].append(play)
    for (enrolment_id, activity_id), mine in plays.items():
        by_id[enrolment_id].plays[activity_id] = best_play(mine)
    for summary in session.execute(select(TrainingSummary.id, TrainingSummary.enrolment_id,
                                          TrainingSummary.status)
                                   .where(TrainingSummary.enrolment_id.in_(ids))):
        by_id[summary.enrolment_id].summary = summary
    for certificate in session.execute(
            select(Certificate.enrolment_id, Certificate.serial, Certificate.expires_at,
                   Certificate.revoked_at)
            .where(Certificate.enrolment_id.in_(ids), Certificate.superseded_by_id.is_(None))):
        row = by_id[certificate.enrolment_id]
        row.certificate = certificate
        row.certificate_status = certificate_status(certificate.revoked_at, None, certificate.expires_at, now)


# --- the export ----------------------------------------------------------------------------------

def export_headers(columns: Sequence[Column]) -> list[str]:
    labels = {SUMMARY: "培训总结", CERTIFICATE: "证书编号"}
    headers = ["工号", "姓名", "部门", "班组", "状态"]
    for column in columns:
        headers.append(labels.get(column.group, column.title))
        if column.group == CERTIFICATE:
            headers.append("证书状态")
    return headers


def export_rows(columns: Sequence[Column], rows: Iterable[ResultRow]) -> Iterator[list[object]]:
    """One line per trainee, in the order shown, as the rows come: module done (已完成/已打开),
    best scores, the summary's state, the certificate's serial and status."""
    labels = CertificateStatus.record_labels()
    for row in rows:
        cells = [row.employee_no, row.name, row.department, row.cohort, hr.STATUS_LABELS[row.status]]
        for column in columns:
            cells.append(_export_cell(row, column))
            if column.group == CERTIFICATE:
                cells.append(labels[row.certificate_status] if row.certificate_status else "")
        yield cells


def _export_cell(row: ResultRow, column: Column) -> object:
    if column.group == MODULE:
        return {"done": "已完成", "opened": "已打开"}.get(row.modules.get(column.id, ""), "")
    if column.group in (QUIZ, CASE):
        status = row.quizzes.get(column.id)
        if status is None:
            return ""
        if status.best is not None:
            return shown_score(status.best.score or 0)
        return "待评分" if status.awaiting_grading else ""
    if column.group == SCENARIO:
        play = row.plays.get(column.id)
        return shown_score(play.score) if play is not None else ""
    if column.group == SUMMARY:
        return SUMMARY_LABELS.get(row.summary.status, "") if row.summary else ""
    return row.certificate.serial if row.certificate else ""

"""HR's roster and the trainer's results at a few and at many trainees: paged, filtered and sorted
in the database, with statuses whose SQL twin says what the Python definition says."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from lms.accounts.models import User
from lms.certificates import services as certificates
from lms.certificates.models import Certificate, certificate_status, certificate_status_column
from lms.db import session, utcnow
from lms.learning import services as learning
from lms.learning.models import Course, Enrolment
from lms.paging import Pager
from lms.reports import hr, roster

from ..conftest import counted_queries, csrf_token
from .test_results import course, populate  # noqa: F401  (the course fixture)


def hr_paths(slug: str) -> list[str]:
    hr_page, results = f"/hr/courses/{slug}/", f"/review/courses/{slug}/"
    return [hr_page, f"{hr_page}?sort=percent&order=desc&page=2&per_page=25",
            f"{hr_page}?status=overdue&sort=status", f"{hr_page}?sort=due_at&certificate=none",
            f"{hr_page}?status=expiring&within=60&sort=department&q=E0",
            f"{hr_page}?sort=completed_at&order=desc&due_from=2000-01-01&due_to=2999-12-31",
            f"{hr_page}export.csv?sort=name", f"{results}?per_page=25&page=3&sort=status",
            f"{results}results.csv?status=in_progress"]


def queries(app, client, path: str) -> int:
    with counted_queries(app) as statements:
        response = client.get(path)
        assert response.status_code == 200, path
        response.get_data()  # a streamed export runs its queries as it is read
    return len(statements)


def test_roster_and_results_run_the_same_queries_at_20_and_200_trainees(app, client, course, make_user,  # noqa: F811
                                                                        login):
    login(make_user("hr", "trainer"))
    populate(app, 1, 20)
    queries(app, client, hr_paths(course)[0])  # the course's structure is cached from the first request on
    few = {path: queries(app, client, path) for path in hr_paths(course)}
    populate(app, 21, 180)
    many = {path: queries(app, client, path) for path in hr_paths(course)}
    assert many == few


# --- the order and the filters, against the rows Python builds ---------------------------------

def python_order(rows: list[hr.RosterRow], sort: str, descending: bool, departments: list[str]):
    """What the roster's column headings promise: by the column (a missing date last), ties by
    employee number and then enrolment; descending turns the column's order only."""
    far = utcnow() + timedelta(days=365 * 1000)
    key = {"employee_no": lambda r: r.employee_no or "", "name": lambda r: r.name,
           "department": lambda r: departments.index(r.department) if r.department in departments else -1,
           "due_at": lambda r: (r.due_at is None, r.due_at or far),
           "completed_at": lambda r: (r.completed_at is None, r.completed_at or far),
           "percent": lambda r: r.steps_done, "status": lambda r: hr.STATUSES.index(r.status)}[sort]
    ties = sorted(rows, key=lambda r: (r.employee_no or "", r.enrolment_id))
    return [r.enrolment_id for r in sorted(ties, key=key, reverse=descending)]


def every_page(slug: str, wanted: roster.RosterFilter, per_page: int = 25) -> tuple[list[int], list[Pager]]:
    chosen, now = learning.get_course(slug), utcnow()
    ids, pagers, page = [], [], 1
    while True:
        found = roster.roster_page(chosen, wanted, now, page=page, per_page=per_page)
        ids += [row.enrolment_id for row in found.rows]
        pagers.append(found.pager)
        if page >= found.pager.pages:
            return ids, pagers
        page += 1


def give_certificates(app, slug: str) -> None:
    """Certificate rows (without rendering) for some completed trainees: valid, expiring within 20
    and 50 days, expired, revoked, and one replaced by another."""
    now = utcnow()
    with app.app_context():
        course_id = session.scalar(select(Course.id).where(Course.slug == slug))
        done = session.execute(select(Enrolment.id, Enrolment.user_id).where(
            Enrolment.course_id == course_id, Enrolment.completed_at.is_not(None))
            .order_by(Enrolment.id)).all()
        expiries = [400, 20, 50, -3, 200, 300]
        rows = []
        for index, (enrolment_id, user_id) in enumerate(done[:24]):
            rows.append({"serial": f"T-{index:04d}", "enrolment_id": enrolment_id, "user_id": user_id,
                         "course_id": course_id, "snapshot": {}, "course_versions": {}, "pdf": b"%PDF",
                         "sha256": f"{index:064d}", "issued_at": now - timedelta(days=30),
                         "expires_at": now + timedelta(days=expiries[index % 6]),
                         "revoked_at": now - timedelta(days=1) if index % 6 == 4 else None})
        ids = session.scalars(insert(Certificate).returning(Certificate.id, sort_by_parameter_order=True),
                              rows).all()
        replaced = session.get(Certificate, ids[5])
        replaced.superseded_at = now  # as re-issuing does: replaced first, then the new one
        session.flush()
        session.add(Certificate(serial="T-new", enrolment_id=replaced.enrolment_id, user_id=replaced.user_id,
                                course_id=course_id, snapshot={}, course_versions={}, pdf=b"%PDF",
                                sha256="f" * 64, issued_at=now, expires_at=now + timedelta(days=365)))
        session.flush()
        newer = session.scalar(select(Certificate.id).where(Certificate.serial == "T-new"))
        replaced.superseded_by_id = newer
        session.commit()


@pytest.mark.parametrize("sort", roster.RosterFilter.SORTS)
def test_every_sort_pages_through_every_row_in_the_promised_order(app, course, sort):  # noqa: F811
    populate(app, 1, 120)
    give_certificates(app, course)
    with app.test_request_context():
        rows = hr.course_roster(learning.get_course(course))
        departments, _cohorts = hr.departments_and_cohorts()
        for descending in (False, True):
            ids, pagers = every_page(course, roster.RosterFilter(sort=sort, descending=descending))
            assert ids == python_order(rows, sort, descending, departments), (sort, descending)
            assert [(p.first, p.last, p.total, p.pages) for p in pagers[:2]] == [(1, 25, 120, 5),
                                                                                 (26, 50, 120, 5)]
            assert (pagers[-1].first, pagers[-1].last) == (101, 120)


def test_filters_select_what_the_rows_say(app, course):  # noqa: F811
    populate(app, 1, 120)
    give_certificates(app, course)
    with app.test_request_context():
        now = utcnow()
        rows = hr.course_roster(learning.get_course(course), now)
        cases = {
            **{roster.RosterFilter(status=status): [r for r in rows if r.status == status]
               for status in hr.STATUSES},
            roster.RosterFilter(status="expiring"): [r for r in rows if r.expiring(now)],
            roster.RosterFilter(status="expiring", within=60): [r for r in rows
                                                                if r.expiring(now, timedelta(days=60))],
            roster.RosterFilter(certificate="none"): [r for r in rows if r.certificate_status is None],
            **{roster.RosterFilter(certificate=state): [r for r in rows if r.certificate_status == state]
               for state in ("valid", "expiring", "expired", "revoked", "superseded")},
            roster.RosterFilter(search="e0001"): [r for r in rows if "e0001" in r.employee_no.lower()],
            roster.RosterFilter(search="学员0002"): [r for r in rows if "学员0002" in r.name],
            roster.RosterFilter(department="催收二部", status="overdue"):
                [r for r in rows if r.department == "催收二部" and r.status == hr.OVERDUE],
            roster.RosterFilter(due_to=hr.local_day(now)): [r for r in rows if r.due_at <= now],
            roster.RosterFilter(due_from=hr.local_day(now) + timedelta(days=1)):
                [r for r in rows if r.due_at > hr.end_of_day(hr.local_day(now))],
        }
        for wanted, expected in cases.items():
            ids, pagers = every_page(course, wanted)
            assert sorted(ids) == sorted(r.enrolment_id for r in expected), wanted
            assert pagers[0].total == len(expected), wanted
        assert all(cases[roster.RosterFilter(status=s)] for s in hr.STATUSES)
        assert cases[roster.RosterFilter(status="expiring")]
        assert cases[roster.RosterFilter(certificate="revoked")]
        assert not cases[roster.RosterFilter(certificate="superseded")]  # the roster shows current ones


def test_counts_come_from_one_group_by_and_match_the_rows(app, course):  # noqa: F811
    populate(app, 1, 120)
    give_certificates(app, course)
    with app.test_request_context():
        course_ = learning.get_course(course)
        now = utcnow()
        expected = hr.counts(hr.course_roster(course_, now), now)
        with counted_queries(app) as statements:
            found = hr.status_counts(course_, now)
        assert found == expected and len(statements) == 1 and "GROUP BY" in statements[0]


# --- one definition of each status, in Python and in SQL ---------------------------------------

def test_the_sql_statuses_equal_the_python_ones_for_every_demo_stage(app, runner, tiny, make_user):
    tiny()
    result = runner.invoke(args=["lms", "demo", "--trainees", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    hr_user = make_user("hr")
    with app.test_request_context():
        course = learning.get_course("tiny")
        done = next(c for c in session.scalars(select(Certificate).where(Certificate.revoked_at.is_(None))
                                               .order_by(Certificate.id)))
        certificates.reissue(done, session.get(User, hr_user.id))  # a superseded one too
        session.commit()
        for days in (0, 20, 200, 400):  # as the stages move on: expiring, expired, overdue
            now = utcnow() + timedelta(days=days)
            current, joined = hr.current_certificate(course, now)
            in_sql = {row.id: (row.status, row.certificate) for row in session.execute(
                select(Enrolment.id, hr.status_column(now).label("status"),
                       hr.certificate_column(current, now).label("certificate"))
                .outerjoin(current, joined).where(hr.open_enrolments(course)))}
            rows = hr.course_roster(course, now)
            assert {r.enrolment_id: (r.status, r.certificate_status) for r in rows} == in_sql, days
            columns = (Certificate.revoked_at, Certificate.superseded_by_id, Certificate.expires_at)
            every = session.execute(select(Certificate.id, *columns,
                                           certificate_status_column(*columns, now))).all()
            assert all(certificate_status(c.revoked_at, c.superseded_by_id, c.expires_at, now) == c[4]
                       for c in every), days
            if days == 0:
                stages = {status for status, _ in in_sql.values()} | {c[4] for c in every}
                assert stages >= {*hr.STATUSES, "valid", "expiring", "expired", "revoked", "superseded"}


# --- exports: every row, in batches; the page's paging controls --------------------------------

def test_exports_list_every_row_in_the_pages_order_built_in_batches(app, client, course, make_user,  # noqa: F811
                                                                    login, monkeypatch):
    from lms.assessments import results

    populate(app, 1, 60)
    monkeypatch.setattr(roster, "BATCH", 7)
    monkeypatch.setattr(results, "BATCH", 7)
    login(make_user("hr", "trainer"))
    exported = client.get("/hr/courses/big/export.csv?sort=name&order=desc&status=in_progress")
    lines = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    with app.test_request_context():
        wanted = roster.RosterFilter(sort="name", descending=True, status="in_progress")
        ids, _pagers = every_page(course, wanted)
        names = [session.get(Enrolment, i).user.display_name for i in ids]
    assert len(ids) > 14 and [line[1] for line in lines[1:]] == names
    trainer = client.get("/review/courses/big/results.csv?sort=employee_no&order=desc")
    lines = list(csv.reader(io.StringIO(trainer.get_data().decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == [f"E{n:05d}" for n in range(60, 0, -1)]


def test_pages_show_where_you_are_with_links_and_a_page_size(app, client, course, make_user,  # noqa: F811
                                                            login):
    populate(app, 1, 130)
    login(make_user("hr", "trainer"))
    for path in ("/hr/courses/big/?per_page=25&page=3&sort=name", "/review/courses/big/?per_page=25&page=3"):
        page = client.get(path).get_data(as_text=True)
        assert re.search(r"显示第 51–75 条，共 130 条", page), path
        assert re.search(r'aria-current="page"[^>]*>3</a>', page)
        links = re.findall(r'href="[^"]*[?&;]page=(\d+)[^"]*"', page)
        assert {"1", "2", "4", "5", "6"} <= set(links)
        assert 'name="per_page"' in page and '<option value="25" selected>' in page
        assert "sort=name" in page or "review" in path
    last = client.get("/hr/courses/big/?page=99").get_data(as_text=True)
    assert "显示第 101–130 条，共 130 条" in last
    client.post("/language", data={"locale": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    english = client.get("/hr/courses/big/?per_page=100").get_data(as_text=True)
    assert "Showing 1–100 of 130" in english and "Rows per page" in english

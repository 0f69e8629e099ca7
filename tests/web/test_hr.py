"""HR: importing employees, assigning courses, the course dashboard and its exports."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import openpyxl

from lms.accounts.models import User
from lms.audit.models import AuditEntry
from lms.certificates.models import Certificate
from lms.db import session, utcnow
from lms.learning.models import Enrolment

from ..conftest import csrf_token, local_day
from .test_certificates import complete_course

EMPLOYEES = "工号,姓名,部门,邮箱,入职日期,班组\nE9001,周敏,催收一部,zhou@example.com,2024-03-01,一班\n" \
            "E9002,吴刚,催收二部,,2024/5/6,二班\n"


def upload(client, name, data):
    token = csrf_token(client, "/hr/employees/import")
    return client.post("/hr/employees/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), "csrf_token": token})


def test_import_employees_and_reimport_changes_nothing(app, client, make_user, login):
    login(make_user("hr"))
    first = upload(client, "staff.csv", EMPLOYEES.encode("utf-8-sig")).get_data(as_text=True)
    assert "新增 2 人，更新 0 人" in first
    with app.app_context():
        zhou = session.query(User).filter_by(employee_no="E9001").one()
        assert (zhou.display_name, zhou.department, zhou.cohort) == ("周敏", "催收一部", "一班")
        assert zhou.roles == {"trainee"}
        entries = session.query(AuditEntry).count()
    again = upload(client, "staff.csv", EMPLOYEES.encode("utf-8-sig")).get_data(as_text=True)
    assert "新增 0 人，更新 0 人，2 人无变化" in again
    with app.app_context():
        assert session.query(User).filter(User.employee_no.in_(["E9001", "E9002"])).count() == 2
        assert session.query(AuditEntry).count() == entries  # nothing changed, nothing logged
    changed = EMPLOYEES.replace("催收二部", "催收三部").encode("utf-8")
    upload(client, "staff.csv", changed)
    with app.app_context():
        assert session.query(User).filter_by(employee_no="E9002").one().department == "催收三部"


def test_bad_rows_are_shown_and_nothing_is_saved(app, client, make_user, login):
    login(make_user("hr"))
    bad = "工号,姓名,部门,邮箱\nE9101,甲,催收一部,not-an-email\n,乙,催收一部,\nE9101,丙,催收一部,\n"
    response = upload(client, "staff.csv", bad.encode("utf-8"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "第 2 行" in page and "第 3 行" in page and "第 4 行" in page
    with app.app_context():
        assert session.query(User).filter(User.employee_no == "E9101").count() == 0


def test_assign_a_course_to_departments(app, client, shipped_course, make_user, login):
    in_dept = make_user("trainee", department="催收五部")
    other = make_user("trainee", department="催收六部")
    login(make_user("hr"))
    due = (utcnow() + timedelta(days=20)).date()
    url = f"/hr/courses/{shipped_course}/assign"
    refused = client.post(url, data={"due_on": due.isoformat(), "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 400 and 'id="departments-errors"' in refused.get_data(as_text=True)
    form = {"departments": ["催收五部"], "due_on": due.isoformat(), "csrf_token": csrf_token(client, url)}
    assert 'data-testid="assign-preview"' in client.post(url, data=form).get_data(as_text=True)
    with app.app_context():
        mine = session.query(Enrolment).filter_by(user_id=in_dept.id).one()
    client.post(url, data={**form, "confirmed": "1", "change": [str(mine.id)]})  # ticked in the preview
    with app.app_context():
        mine = session.query(Enrolment).filter_by(user_id=in_dept.id).one()
        theirs = session.query(Enrolment).filter_by(user_id=other.id).one()
        assert mine.due_at.date() in (due, due + timedelta(days=1))  # end of that day in Shanghai
        assert theirs.due_at.date() != due


def test_dashboard_filters_search_and_exports(app, client, tiny, make_user, login):
    tiny()
    complete_course(client, app, make_user, login, name="王小明")
    make_user("trainee", display_name="李四", employee_no="E8002", department="催收二部")
    late = make_user("trainee", display_name="赵五", employee_no="E8003", department="催收二部")
    with app.app_context():
        enrolment = session.query(Enrolment).filter_by(user_id=late.id).one()
        enrolment.due_at = utcnow() - timedelta(days=2)
        session.commit()
    login(make_user("hr"))
    page = client.get("/hr/courses/tiny/").get_data(as_text=True)
    assert "王小明" in page and "李四" in page and "赵五" in page
    overdue = client.get("/hr/courses/tiny/?status=overdue").get_data(as_text=True)
    assert "赵五" in overdue and "李四" not in overdue
    assert "李四" in client.get("/hr/courses/tiny/?q=E8002").get_data(as_text=True)
    done = client.get("/hr/courses/tiny/?status=completed").get_data(as_text=True)
    assert "王小明" in done and "赵五" not in done

    exported = client.get("/hr/courses/tiny/export.csv?department=催收二部")
    assert exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["工号", "姓名"] and {r[1] for r in rows[1:]} == {"李四", "赵五"}
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/hr/courses/tiny/export.xlsx").data))
    names = [row[1] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["王小明", "李四", "赵五"])

    archive = zipfile.ZipFile(io.BytesIO(client.get("/hr/courses/tiny/certificates.zip").data))
    [name] = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert "王小明" in name and "有效" in name and archive.read(name).startswith(b"%PDF")
    assert "manifest.csv" in archive.namelist()
    with app.app_context():
        actions = {e.action for e in session.query(AuditEntry)}
        assert {"export.csv", "export.xlsx", "export.certificates_zip"} <= actions


def test_the_dashboard_runs_a_fixed_number_of_queries(app, client, count_queries, tiny, make_user, login):
    tiny()
    login(make_user("hr"))

    make_user("trainee", display_name="第一位学员")
    count_queries("/hr/courses/tiny/")  # the course's structure is cached from the first request on
    few = count_queries("/hr/courses/tiny/")
    for number in range(30):
        make_user("trainee", display_name=f"学员{number}")
    many = count_queries("/hr/courses/tiny/")
    assert many == few


def test_only_hr_sees_hr_pages(client, tiny, make_user, login):
    tiny()
    login(make_user("trainee"))
    for path in ("/hr/", "/hr/courses/tiny/", "/hr/courses/tiny/export.csv", "/hr/employees/import",
                 "/admin/audit"):
        assert client.get(path).status_code == 403, path


def test_admin_reads_the_audit_log(app, client, make_user, login):
    login(make_user("admin"))
    page = client.get("/admin/audit")
    assert page.status_code == 200
    exported = client.get("/admin/audit?format=csv")
    assert exported.data.decode("utf-8-sig").startswith("id,created_at,actor_id")



def test_the_audit_bundle_holds_certificates_completions_and_the_report(app, client, tiny, make_user,
                                                                        login):
    tiny()
    complete_course(client, app, make_user, login, name="王小明")
    login(make_user("hr"))
    today = local_day(utcnow())
    response = client.get(f"/hr/courses/tiny/audit-bundle.zip?from={today - timedelta(days=7)}&to={today}")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert any(n.startswith("completions-") and n.endswith(".csv") for n in names)
    assert any(n.startswith("培训情况统计报告-") and n.endswith(".pdf") for n in names)
    [certificate] = [n for n in names if n.startswith("certificates/")]
    assert "王小明" in certificate and archive.read(certificate).startswith(b"%PDF")
    completions = next(n for n in names if n.endswith(".csv"))
    assert "王小明" in archive.read(completions).decode("utf-8-sig")
    earlier = client.get(f"/hr/courses/tiny/audit-bundle.zip?from={today - timedelta(days=30)}"
                         f"&to={today - timedelta(days=20)}")
    earlier_names = zipfile.ZipFile(io.BytesIO(earlier.data)).namelist()
    assert not [n for n in earlier_names if n.startswith("certificates/")]


def test_a_name_in_the_roster_opens_that_persons_record(app, client, tiny, make_user, login):
    tiny()
    trainee = complete_course(client, app, make_user, login, name="王小明")
    login(make_user("hr"))
    roster = client.get("/hr/courses/tiny/").get_data(as_text=True)
    assert f'href="/hr/people/{trainee.id}" data-testid="person-link">王小明</a>' in roster
    page = client.get(f"/hr/people/{trainee.id}").get_data(as_text=True)
    assert "王小明" in page and "E7001" in page and "已完成" in page
    with app.app_context():
        serial = session.query(Certificate).one().serial
    assert f"/hr/certificates/{serial}" in page and 'data-testid="person-certificate-status">有效' in page
    assert 'data-testid="person-history"' in page and "证书已签发" in page  # the audit log, readable
    assert "/reports/enrolments/" in page  # the training summary report is one link away
    assert client.get("/hr/people/999999").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainee"))
    assert client.get(f"/hr/people/{trainee.id}").status_code == 403


def test_a_persons_long_history_says_how_much_it_leaves_out(app, client, make_user, login):
    from lms.audit.services import record
    from lms.reports.people import HISTORY_LIMIT

    trainee = make_user("trainee", username="d7001", employee_no="E7100")
    with app.app_context():
        earlier = session.query(AuditEntry).filter(AuditEntry.subject.in_(["d7001", "E7100"])).count()
        for n in range(HISTORY_LIMIT + 5):
            record("enrolment.due_extended", "E7100/tiny", None, {"n": n})
        session.commit()
    login(make_user("hr"))
    page = client.get(f"/hr/people/{trainee.id}").get_data(as_text=True)
    assert f"显示最近的 {HISTORY_LIMIT} 条，共 {HISTORY_LIMIT + 5 + earlier} 条。" in page
    assert page.count("<tr>") - 1 == HISTORY_LIMIT  # the header's row, then the entries

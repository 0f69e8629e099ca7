"""HR's records say what is true: certificate statuses in the roster, its counts and exports,
the certificate ZIP and its manifest, the audit bundle for a period, enrolling a revoked holder
again, the assignment preview and extending one person's due date."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import datetime, timedelta

import openpyxl
import pytest

from lms.audit.models import AuditEntry
from lms.certificates.models import Certificate, CertificateStatus, certificate_status
from lms.db import session, utcnow
from lms.learning.models import Course, Enrolment

from ..conftest import csrf_token, local_day
from .test_certificates import pdf_text

DAY = timedelta(days=1)


def certify(app, user, *, issued: datetime | None = None, expires: datetime | None = None,
            revoked: datetime | None = None, replaces: str | None = None) -> str:
    """A certificate of ``tiny`` for ``user`` straight in the database (with a stand-in PDF):
    completes the user's open enrolment; ``replaces`` marks that earlier serial as superseded."""
    with app.app_context():
        from lms.accounts.models import User

        person = session.get(User, user.id)
        course = session.query(Course).filter_by(slug="tiny").one()
        enrolment = session.query(Enrolment).filter_by(user_id=user.id, course_id=course.id,
                                                       is_archived=False).one()
        issued = issued or utcnow() - DAY
        enrolment.completed_at = enrolment.completed_at or issued
        serial = f"CC-{issued.year}-T{session.query(Certificate).count():03d}-{user.id:04d}"
        pdf = f"%PDF-1.4 stand-in for {serial}".encode()
        certificate = Certificate(
            serial=serial, enrolment_id=enrolment.id, user_id=user.id, course_id=course.id,
            snapshot={"serial": serial, "holder_name": person.display_name, "employee_no": person.employee_no,
                      "department": person.department, "course_title": course.title, "hours": 2,
                      "score": 100.0, "issued_on": local_day(issued).isoformat(),
                      "expires_on": local_day(expires).isoformat() if expires else None},
            course_versions={"modules": {}, "activities": {}}, score=100.0, pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(), issued_at=issued, expires_at=expires,
            revoked_at=revoked, revoked_reason="考试作弊" if revoked else None)
        if replaces:  # superseded first, as re-issuing does: one current certificate per enrolment
            old = session.query(Certificate).filter_by(serial=replaces).one()
            old.superseded_at = issued
            session.flush()
        session.add(certificate)
        session.flush()
        if replaces:
            old.superseded_by_id = certificate.id
        session.commit()
        return serial


@pytest.fixture
def records(app, tiny, make_user):
    """Four holders of ``tiny``: 王小明 valid, 李四 revoked, 赵五 expired, 钱六 re-issued
    (an old superseded certificate and a valid one); and 孙七, who has not started."""
    tiny()
    now = utcnow()
    people = {name: make_user("trainee", display_name=name, employee_no=f"E70{n:02d}", department="催收一部")
              for n, name in enumerate(["王小明", "李四", "赵五", "钱六", "孙七"], start=1)}
    serials = {
        "王小明": certify(app, people["王小明"], expires=now + 300 * DAY),
        "李四": certify(app, people["李四"], expires=now + 300 * DAY, revoked=now - DAY / 2),
        "赵五": certify(app, people["赵五"], issued=now - 400 * DAY, expires=now - 35 * DAY),
        "钱六(old)": certify(app, people["钱六"], issued=now - 3 * DAY, expires=now + 200 * DAY),
    }
    serials["钱六"] = certify(app, people["钱六"], expires=now + 200 * DAY, replaces=serials["钱六(old)"])
    return people, serials


def test_a_certificate_has_one_status_with_its_label(app):
    now = utcnow()
    assert certificate_status(now, 5, now - DAY, now) is CertificateStatus.REVOKED
    assert certificate_status(None, 5, now - DAY, now) is CertificateStatus.SUPERSEDED
    assert certificate_status(None, None, now, now) is CertificateStatus.EXPIRED
    assert certificate_status(None, None, now + 30 * DAY, now) is CertificateStatus.EXPIRING
    assert certificate_status(None, None, now + 31 * DAY, now) is CertificateStatus.VALID
    assert certificate_status(None, None, None, now) is CertificateStatus.VALID
    assert [s.is_current for s in CertificateStatus] == [True, True, False, False, False]
    with app.test_request_context():
        assert CertificateStatus.record_labels() == {
            CertificateStatus.VALID: "有效", CertificateStatus.EXPIRING: "有效（即将到期）",
            CertificateStatus.EXPIRED: "已过期", CertificateStatus.SUPERSEDED: "已被替换",
            CertificateStatus.REVOKED: "已撤销"}
        from flask_babel import force_locale

        with force_locale("en"):
            assert CertificateStatus.REVOKED.label == "Revoked"
            assert CertificateStatus.record_labels()[CertificateStatus.REVOKED] == "已撤销"


def test_revoked_holders_count_as_not_completed_and_exports_say_so(app, client, records, make_user, login):
    people, serials = records
    with app.app_context():  # 李四's due date has passed: revoked, the holder is overdue again
        enrolment = session.query(Enrolment).filter_by(user_id=people["李四"].id).one()
        enrolment.due_at = utcnow() - DAY
        session.commit()
    login(make_user("hr"))
    page = client.get("/hr/courses/tiny/").get_data(as_text=True)
    counts = page[page.index('data-testid="counts"'):page.index("</ul>", page.index('data-testid="counts"'))]
    # five enrolled; 王小明, 赵五 (expired: still completed) and 钱六 completed; 李四 overdue
    assert "<strong>5</strong>" in counts and "<strong>3</strong>" in counts
    overdue = client.get("/hr/courses/tiny/?status=overdue").get_data(as_text=True)
    assert "李四" in overdue and "王小明" not in overdue
    completed = client.get("/hr/courses/tiny/?status=completed").get_data(as_text=True)
    assert all(name in completed for name in ("王小明", "赵五", "钱六")) and "李四" not in completed
    revoked = client.get("/hr/courses/tiny/?certificate=revoked").get_data(as_text=True)
    assert "李四" in revoked and "王小明" not in revoked
    expired = client.get("/hr/courses/tiny/?certificate=expired").get_data(as_text=True)
    assert "赵五" in expired and "已过期" in expired and "李四" not in expired
    assert "证书已撤销</a> <strong>1</strong>" in page
    with app.test_request_context():
        from lms.reports import hr

        course = session.query(Course).filter_by(slug="tiny").one()
        tally = hr.counts(hr.course_roster(course), utcnow())
        assert (tally["completed"], tally["overdue"], tally["revoked"], tally["not_started"]) == (3, 1, 1, 1)

    exported = client.get("/hr/courses/tiny/export.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    by_name = {row["姓名"]: row for row in rows}
    assert by_name["李四"]["状态"] == "已逾期" and by_name["李四"]["证书状态"] == "已撤销"
    assert by_name["李四"]["证书编号"] == serials["李四"] and by_name["李四"]["证书撤销日期"]
    assert by_name["赵五"]["状态"] == "已完成" and by_name["赵五"]["证书状态"] == "已过期"
    assert by_name["钱六"]["证书编号"] == serials["钱六"] and by_name["钱六"]["证书状态"] == "有效"
    assert by_name["王小明"]["证书签发日期"] and by_name["王小明"]["证书有效期至"]
    assert by_name["孙七"]["证书状态"] == "" and by_name["孙七"]["状态"] == "未开始"
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/hr/courses/tiny/export.xlsx").data)).active
    header = [cell.value for cell in sheet[1]]
    xlsx = {row[1]: dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert xlsx["李四"]["证书状态"] == "已撤销" and xlsx["李四"]["状态"] == "已逾期"
    assert xlsx["赵五"]["证书状态"] == "已过期"
    overview = client.get("/hr/").get_data(as_text=True)
    assert "<strong>3</strong>" in overview  # completed on the overview too


def read_manifest(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))


def test_the_certificate_zip_holds_valid_ones_unless_all_are_asked_for(app, client, records, make_user,
                                                                       login):
    people, serials = records
    login(make_user("hr"))
    archive = zipfile.ZipFile(io.BytesIO(client.get("/hr/courses/tiny/certificates.zip").data))
    pdfs = sorted(n for n in archive.namelist() if n.endswith(".pdf"))
    assert pdfs == sorted([f"{serials['王小明']}_有效_王小明.pdf", f"{serials['钱六']}_有效_钱六.pdf"])
    manifest = read_manifest(archive)
    assert sorted(row["文件"] for row in manifest) == pdfs
    for row in manifest:
        assert row["SHA-256"] == hashlib.sha256(archive.read(row["文件"])).hexdigest()
        assert row["证书状态"] == "有效" and row["工号"] and row["部门"] == "催收一部"

    everything = zipfile.ZipFile(io.BytesIO(client.get("/hr/courses/tiny/certificates.zip?include=all").data))
    names = set(everything.namelist())
    assert names == {"manifest.csv", f"{serials['王小明']}_有效_王小明.pdf",
                     f"{serials['钱六']}_有效_钱六.pdf", f"{serials['李四']}_已撤销_李四.pdf",
                     f"{serials['赵五']}_已过期_赵五.pdf",
                     f"{serials['钱六(old)']}_已被替换_钱六.pdf"}
    manifest = {row["证书编号"]: row for row in read_manifest(everything)}
    assert len(manifest) == 5
    assert manifest[serials["李四"]]["证书状态"] == "已撤销" and manifest[serials["李四"]]["撤销日期"]
    assert manifest[serials["王小明"]]["撤销日期"] == ""
    with app.app_context():
        for serial, row in manifest.items():
            stored = session.query(Certificate).filter_by(serial=serial).one()
            assert row["SHA-256"] == stored.sha256 == hashlib.sha256(everything.read(row["文件"])).hexdigest()
            assert row["姓名"] == stored.holder_name and row["有效期至"] == stored.snapshot["expires_on"]
    filtered = client.get("/hr/courses/tiny/certificates.zip?include=all&q=李四").data
    filtered = zipfile.ZipFile(io.BytesIO(filtered))
    assert [row["姓名"] for row in read_manifest(filtered)] == ["李四"]


def test_the_audit_bundle_is_for_its_period(app, client, records, make_user, login):
    people, serials = records
    now = utcnow()
    with app.app_context():  # 赵五 completed and was certified 400 days ago; the others yesterday
        enrolment = session.query(Enrolment).filter_by(user_id=people["赵五"].id).one()
        enrolment.enrolled_at, enrolment.completed_at = now - 420 * DAY, now - 400 * DAY
        session.commit()
    login(make_user("hr"))
    today = local_day(now)
    first, last = today - timedelta(days=10), today
    response = client.get(f"/hr/courses/tiny/audit-bundle.zip?from={first}&to={last}")
    assert response.status_code == 200
    period = f"{first:%Y%m%d}-{last:%Y%m%d}"
    assert period in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    certificates = {n for n in archive.namelist() if n.startswith("certificates/")}
    assert certificates == {f"certificates/{serials['王小明']}_有效_王小明.pdf",
                            f"certificates/{serials['李四']}_已撤销_李四.pdf",
                            f"certificates/{serials['钱六']}_有效_钱六.pdf",
                            f"certificates/{serials['钱六(old)']}_已被替换_钱六.pdf"}  # not 赵五's
    manifest = read_manifest(archive)
    assert {row["文件"] for row in manifest} == set(archive.namelist()) - {"manifest.csv"}
    assert {row["统计期间"] for row in manifest} == {f"{first}至{last}"}
    for row in manifest:
        assert row["SHA-256"] == hashlib.sha256(archive.read(row["文件"])).hexdigest()
    completions = archive.read(f"completions-{period}.csv").decode("utf-8-sig")
    completions = list(csv.DictReader(io.StringIO(completions)))
    assert {row["姓名"] for row in completions} == {"王小明", "李四", "钱六"}
    assert {row["姓名"]: row["证书状态"] for row in completions}["李四"] == "已撤销"
    report = pdf_text(archive.read(f"培训情况统计报告-{period}.pdf"))
    assert f"统计期间 {first} 至 {last}" in report
    assert "证书，均按期末情况统计" in report  # what its counts and the completions list use

    with app.test_request_context():  # the report's numbers are the period's
        from lms.reports import hr, summaries

        course = session.query(Course).filter_by(slug="tiny").one()
        recent = summaries.cohort_report(course, now, hr.Period(first, last))["counts"]
        assert (recent["enrolled"], recent["completed"], recent["revoked"]) == (4, 2, 1)  # 赵五 done before
        old = summaries.cohort_report(course, now, hr.Period(today - timedelta(days=500),
                                                             today - timedelta(days=300)))["counts"]
        assert (old["enrolled"], old["completed"]) == (1, 1)  # only 赵五 was enrolled then
        everyone = summaries.cohort_report(course, now)["counts"]
        assert (everyone["enrolled"], everyone["completed"]) == (5, 3)
    page = client.get(f"/hr/courses/tiny/report?from={first}&to={last}").get_data(as_text=True)
    assert 'data-testid="period"' in page and f"from={first}" in page and "均按期末情况统计" in page
    earlier = client.get(f"/hr/courses/tiny/audit-bundle.zip?from={today - timedelta(days=300)}"
                         f"&to={today - timedelta(days=200)}")
    names = zipfile.ZipFile(io.BytesIO(earlier.data)).namelist()
    assert not [n for n in names if n.startswith("certificates/")] and "manifest.csv" in names


@pytest.mark.parametrize("query, message", [
    ("from=0001-01-01&to=2026-01-31", "2000-01-01"),
    ("from=2026-02-01&to=9999-12-31", "2099-12-31"),
    ("from=2026-02-01&to=2026-01-01", "after its last day"),
    ("from=yesterday&to=2026-01-01", "YYYY-MM-DD"),
    ("to=2026-01-01", "YYYY-MM-DD"),
    ("", "YYYY-MM-DD"),
])
def test_bad_bundle_dates_are_refused_with_a_reason(client, tiny, make_user, login, query, message):
    tiny()
    user = make_user("hr")
    with client.application.app_context():
        from lms.accounts.models import User

        session.get(User, user.id).locale = "en"
        session.commit()
    login(user)
    response = client.get(f"/hr/courses/tiny/audit-bundle.zip?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert client.get(f"/hr/courses/tiny/report?{query}").status_code == (400 if query else 200)


def test_hr_enrols_a_revoked_holder_again(app, client, records, make_user, login):
    people, serials = records
    login(make_user("hr"))
    url = f"/hr/certificates/{serials['李四']}"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="reenrol"' in page
    response = client.post(url, data={"action": "reenrol", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    with app.app_context():
        old, new = (session.query(Enrolment).filter_by(user_id=people["李四"].id)
                    .order_by(Enrolment.cycle).all())
        assert old.is_archived and not new.is_archived
        assert (new.cycle, new.source, new.completed_at) == (2, "recertification", None)
        assert new.due_at > utcnow() + 13 * DAY  # the course's due_days (14)
        entry = session.query(AuditEntry).filter_by(action="enrolment.recertification").one()
        assert entry.subject == serials["李四"] and entry.details["cycle"] == 2
    again = client.post(url, data={"action": "reenrol", "csrf_token": csrf_token(client, url)})
    assert again.status_code == 400
    valid = f"/hr/certificates/{serials['王小明']}"
    refused = client.post(valid, data={"action": "reenrol", "csrf_token": csrf_token(client, valid)})
    assert refused.status_code == 400
    roster = client.get("/hr/courses/tiny/?q=李四").get_data(as_text=True)
    assert "未开始" in roster  # the new cycle, from the start


def test_assigning_previews_and_never_moves_due_dates_silently(app, client, tiny, make_user, login):
    tiny()
    enrolled = make_user("trainee", display_name="周敏", department="催收五部")
    other = make_user("trainee", display_name="吴刚", department="催收五部")
    with app.app_context():
        course = session.query(Course).filter_by(slug="tiny").one()
        session.query(Enrolment).filter_by(user_id=other.id).delete()  # not yet enrolled
        before = session.query(Enrolment).filter_by(user_id=enrolled.id, course_id=course.id).one().due_at
        session.commit()
    login(make_user("hr"))
    due = (utcnow() + timedelta(days=40)).date()
    url = "/hr/courses/tiny/assign"
    form = {"departments": ["催收五部"], "due_on": due.isoformat(), "csrf_token": csrf_token(client, url)}
    preview = client.post(url, data=form).get_data(as_text=True)
    assert 'data-testid="assign-preview"' in preview
    newcomers = preview[preview.index('data-testid="newcomers"'):preview.index('data-testid="due-changes"')]
    changes = preview[preview.index('data-testid="due-changes"'):]
    assert "吴刚" in newcomers and "周敏" not in newcomers and "周敏" in changes
    with app.app_context():  # a preview changes nothing
        assert session.query(Enrolment).filter_by(user_id=other.id).count() == 0
    with app.app_context():
        enrolment_id = session.query(Enrolment).filter_by(user_id=enrolled.id).one().id
        other_id = other.id
    client.post(url, data={**form, "confirmed": "1", "enrol": [str(other_id)]})
    with app.app_context():
        assert session.query(Enrolment).filter_by(user_id=enrolled.id).one().due_at == before
        new = session.query(Enrolment).filter_by(user_id=other.id).one()
        assert new.due_at.date() in (due, due + DAY)
        entry = session.query(AuditEntry).filter_by(action="course.assigned").one()
        assert entry.details["enrolled"] == 1 and entry.details["due_changed"] == 0
    client.post(url, data={**form, "confirmed": "1", "change": [str(enrolment_id)]})
    with app.app_context():
        moved = session.query(Enrolment).filter_by(user_id=enrolled.id).one().due_at
        assert moved != before and moved.date() in (due, due + DAY)
        [change] = session.query(AuditEntry).filter_by(action="course.assigned").order_by(
            AuditEntry.id.desc()).first().details["changes"]
        assert change["holder"] == "周敏" and change["from"] == before.isoformat()


def test_hr_extends_one_due_date_with_a_reason(app, client, tiny, make_user, login):
    tiny()
    trainee = make_user("trainee", display_name="周敏")
    with app.app_context():
        enrolment = session.query(Enrolment).filter_by(user_id=trainee.id).one()
        enrolment_id, before = enrolment.id, enrolment.due_at
    login(make_user("hr"))
    assert f"/hr/enrolments/{enrolment_id}/due" in client.get("/hr/courses/tiny/").get_data(as_text=True)
    url = f"/hr/enrolments/{enrolment_id}/due"
    later = (before + timedelta(days=10)).date()
    refused = client.post(url, data={"due_on": later.isoformat(), "reason": " ",
                                     "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 400
    earlier = client.post(url, data={"due_on": (before - timedelta(days=3)).date().isoformat(),
                                     "reason": "病假", "csrf_token": csrf_token(client, url)})
    assert earlier.status_code == 400
    with app.app_context():
        assert session.get(Enrolment, enrolment_id).due_at == before
    done = client.post(url, data={"due_on": later.isoformat(), "reason": "病假两周",
                                  "csrf_token": csrf_token(client, url)})
    assert done.status_code == 302
    with app.app_context():
        assert session.get(Enrolment, enrolment_id).due_at.date() in (later, later + DAY)
        entry = session.query(AuditEntry).filter_by(action="enrolment.due_extended").one()
        assert entry.details["reason"] == "病假两周" and entry.details["from"] == before.isoformat()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("admin"))
    assert "病假两周" in client.get("/admin/audit").get_data(as_text=True)


def test_a_period_states_each_certificate_as_it_stood_at_the_periods_end(app, tiny, make_user):
    """A certificate revoked, or replaced, after the period's end was not yet: the period's roster
    and report count its holder as completed with the certificate then current."""
    tiny()
    now = utcnow()
    revoked_later = make_user("trainee", display_name="周八", employee_no="E7101", department="催收一部")
    renewed_later = make_user("trainee", display_name="吴九", employee_no="E7102", department="催收一部")
    revoked = certify(app, revoked_later, issued=now - 20 * DAY, expires=now + 300 * DAY,
                      revoked=now - 2 * DAY)
    old = certify(app, renewed_later, issued=now - 20 * DAY, expires=now + 300 * DAY)
    new = certify(app, renewed_later, issued=now - 2 * DAY, expires=now + 400 * DAY, replaces=old)
    with app.test_request_context():
        from lms.reports import hr, summaries

        for enrolment in session.query(Enrolment):
            enrolment.enrolled_at = now - 25 * DAY
        session.commit()
        course = session.query(Course).filter_by(slug="tiny").one()
        today = local_day(now)
        before = hr.Period(today - timedelta(days=30), today - timedelta(days=5))
        rows = {row.name: row for row in hr.course_roster(course, now, before)}
        assert (rows["周八"].serial, rows["周八"].certificate_status, rows["周八"].status) == (
            revoked, CertificateStatus.VALID, hr.COMPLETED)
        assert rows["周八"].certificate_revoked_at is None
        assert (rows["吴九"].serial, rows["吴九"].certificate_status) == (old, CertificateStatus.VALID)
        counts = summaries.cohort_report(course, now, before)["counts"]
        assert (counts["completed"], counts["revoked"]) == (2, 0)

        until_today = hr.Period(today - timedelta(days=30), today)
        rows = {row.name: row for row in hr.course_roster(course, now, until_today)}
        assert (rows["周八"].certificate_status, rows["周八"].status) == (
            CertificateStatus.REVOKED, hr.IN_PROGRESS)
        assert rows["周八"].certificate_revoked_at is not None
        assert (rows["吴九"].serial, rows["吴九"].certificate_status) == (new, CertificateStatus.VALID)
        counts = summaries.cohort_report(course, now, until_today)["counts"]
        assert (counts["completed"], counts["revoked"]) == (1, 1)

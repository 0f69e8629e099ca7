"""Recorded engaged time and credited hours: the same minutes on the trainee's report, HR's CSV and
XLSX and the certificate snapshot; hours credited only when the recorded time reaches the minimum."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from lms.assessments.models import QuizAttempt
from lms.certificates.models import Certificate
from lms.db import session

from ..answering import attempt_form
from ..conftest import csrf_token, import_content, let_time_pass, open_module, write_content
from .conftest import TINY_COURSE, TINY_MODULE, TINY_QUIZ
from .test_reports import pdf_text

COURSE_YML = (TINY_COURSE.replace("modules: [rules]", "modules: [rules, calls]")
              .replace("min_share: 0 ", "min_share: 0.5 "))
RULES = TINY_MODULE.replace("title: 催收红线\n", "title: 催收红线\nminutes: 4\n")  # asks for 2 minutes
CALLS = "---\ntitle: 电话沟通\nminutes: 3\n---\n## 沟通\n语言文明，耐心倾听。\n"  # asks for 2 minutes


@pytest.fixture
def timed(app, tmp_path):
    assert "min_share: 0.5" in COURSE_YML
    courses, quizzes = write_content(tmp_path / "timed", "tiny",
                                     {"course.yml": COURSE_YML, "01-rules.md": RULES, "02-calls.md": CALLS},
                                     {"red-lines.md": TINY_QUIZ})
    import_content(app, courses, quizzes)


def read(app, client, module, minutes, seconds):
    """Open the module, let ``minutes`` pass on the server's clock, report ``seconds`` and the end."""
    url = f"/courses/tiny/{module}"
    token = open_module(client, url)
    let_time_pass(app, module, minutes)
    return client.post(f"{url}/progress", data={"csrf_token": token, "seconds": str(seconds),
                                                "reached_end": "y"},
                       headers={"Accept": "application/json"}).json


def test_the_same_minutes_on_the_report_the_exports_and_the_certificate(app, client, timed, make_user,
                                                                        login):
    trainee = make_user("trainee", display_name="王小明", employee_no="E7001")
    other = make_user("trainee", display_name="李四", employee_no="E7002")
    login(other)  # reads a little of the first module only
    assert read(app, client, "rules", 2, 90)["completed"] is False
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(trainee)
    assert read(app, client, "rules", 3, 150)["completed"] is True       # 2 min 30 s: 2 minutes
    assert read(app, client, "calls", 4, 200)["completed"] is True       # 3 min 20 s: 3 minutes
    start = client.post("/courses/tiny/quizzes/red-lines/start", data={"csrf_token": csrf_token(client, "/")})
    attempt = start.location.rsplit("/", 1)[1]
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, attempt))
    client.post(f"/attempts/{attempt}/submit", data={**form, "csrf_token": csrf_token(client, "/")})
    client.post("/courses/tiny/summary", data={"body": "我学会了合规催收的红线和方法。", "action": "submit",
                                               "csrf_token": csrf_token(client, "/")})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainer"))
    with app.app_context():
        from lms.assessments.models import TrainingSummary

        summary_id = session.query(TrainingSummary).one().id
    client.post(f"/review/summaries/{summary_id}", data={"decision": "approve", "comment": "",
                                                         "csrf_token": csrf_token(client, "/")})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    with app.app_context():
        certificate = session.query(Certificate).one()
        snapshot, enrolment_id = certificate.snapshot, certificate.enrolment_id
    assert snapshot["hours"] == 2.0  # the course's hours: the minimum (4 minutes) was reached
    assert snapshot["reading"] == {"minutes": 5, "required_minutes": 4, "modules": {"rules": 2, "calls": 3}}

    login(make_user("hr"))
    report = pdf_text(client.get(f"/reports/enrolments/{enrolment_id}.pdf").data)
    assert "有效学习共 5 分钟" in report and "认定学时：2 学时" in report
    assert "2 分钟" in report and "3 分钟" in report

    rows = list(csv.reader(io.StringIO(client.get("/hr/courses/tiny/export.csv").data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[-5:] == ["有效学习(分钟)：催收红线", "有效学习(分钟)：电话沟通", "有效学习合计(分钟)",
                           "最低要求(分钟)", "认定学时"]
    by_name = {row[1]: row[-5:] for row in rows[1:]}
    assert by_name["王小明"] == ["2", "3", "5", "4", "2"]
    assert by_name["李四"] == ["1", "0", "1", "4", "0"]  # 90 s reported, about the time that passed

    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/hr/courses/tiny/export.xlsx").data))
    sheet = {row[1]: list(row[-5:]) for row in workbook.active.iter_rows(min_row=2, values_only=True)}
    assert sheet["王小明"] == [2, 3, 5, 4, 2]
    assert sheet["李四"] == [1, 0, 1, 4, 0]


def test_demo_trainees_spend_at_least_the_minimum_on_what_they_completed(app, runner, timed):
    from lms.learning import services as learning
    from lms.learning.models import Enrolment, ModuleProgress
    from lms.reports import hr

    result = runner.invoke(args=["lms", "demo", "--trainees", "16", "--seed", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        course = learning.get_course("tiny")
        rows = [row for row in hr.course_roster(course) if row.employee_no.startswith("D")]
        completed = [row for row in rows if row.status == hr.COMPLETED]
        assert completed and len(completed) < len(rows)
        for row in completed:
            assert all(module.is_enough for module in row.reading.modules)
            assert row.reading.credited_hours == 2.0
            certificate = session.query(Certificate).filter_by(enrolment_id=row.enrolment_id).one()
            assert certificate.snapshot["reading"] == row.reading.to_json()
            assert certificate.snapshot["hours"] == row.reading.credited_hours
        spread = {module.seconds - 60 * module.required
                  for row in completed for module in row.reading.modules}
        assert len(spread) > 1 and min(spread) > 0  # above the minimum, and not all alike
        for progress in session.query(ModuleProgress).join(Enrolment).filter(
                Enrolment.completed_at.is_(None), ModuleProgress.completed_at.is_(None)):
            assert 0 < progress.seconds_spent < 60 * 2  # partial: short of the two minutes asked

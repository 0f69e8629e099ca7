"""Trainers' results by course and the training statistics report, at a few and at 10,000 trainees.

The trainees and what they did are written with bulk INSERTs, as ``lms demo`` does, so that
10,000 of them take seconds; the pages are then read through the test client.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta
from urllib.parse import quote

import openpyxl
import pytest
from sqlalchemy import insert, select

from lms.accounts.models import User
from lms.assessments.models import (
    Activity,
    AttemptResponse,
    QuizAttempt,
    ScenarioPlay,
    TrainingSummary,
)
from lms.db import session, utcnow
from lms.learning.models import Course, Enrolment, ModuleProgress

from ..conftest import counted_queries, import_content, write_content
from .conftest import SCENARIO
from .test_reports import pdf_text

COURSE_YML = """\
title: 催收合规
modules: [intro, privacy]
enrolment:
  all_trainees: false
"""
INTRO = """\
---
title: 催收概述与流程
activities: [bank, case-refuses]
---
## 正文
先了解客户情况。
"""
PRIVACY = """\
---
title: 注意事项：隐私、法律与用语
activities: [mini-scenario, training-summary]
---
## 正文
不得向无关第三方透露欠款信息。
"""
BANK = """\
::流程01 第一步::信用卡催收流程的第一步是什么？{=了解客户情况 ~直接提起诉讼}

::流程02 红线::上门催收时可以采用**暴力**手段吗？{F}
"""
CASE = """\
---
title: 案例分析：借款人拒绝还款
kind: case
---
借款人说：“没钱。”

## 你首先应该怎么做？
- [x] 询问原因
- [ ] 挂断电话
"""
DEPARTMENTS = ("催收十部", "催收二部", "催收一部")
COHORTS = ("第10期", "第2期")


@pytest.fixture
def course(app, tmp_path):
    courses, quizzes = write_content(
        tmp_path / "big", "big", {"course.yml": COURSE_YML, "01-intro.md": INTRO, "02-privacy.md": PRIVACY},
        {"bank.gift": BANK, "bank.yml": "title: 结业考试\npass_mark: 60\n", "case-refuses.md": CASE,
         "mini-scenario.scenario.md": SCENARIO})
    import_content(app, courses, quizzes)
    return "big"


def populate(app, first: int, count: int) -> None:
    """Trainees ``first`` … ``first + count - 1`` with a mix of progress, in bulk INSERTs.

    Trainee n: department and cohort by n; every 4th completed, every 5th (not completed)
    overdue, every 7th not started; the others read the first module, scored n % 101 in the
    exam (right on the first question unless n % 3 == 0, wrong on the second), played the
    simulation (score 50, passed) and every other one submitted a summary."""
    now = utcnow()
    with app.app_context():
        course = session.scalar(select(Course).where(Course.slug == "big"))
        module = course.active_modules[0]
        activities = {a.slug: a for a in session.scalars(
            select(Activity).where(Activity.course_id == course.id))}
        bank, scenario = activities["bank"], activities["mini-scenario"]
        numbers = range(first, first + count)
        user_ids = session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"username": f"bulk{n:05d}", "display_name": f"学员{n:05d}", "employee_no": f"E{n:05d}",
             "department": DEPARTMENTS[n % 3], "cohort": COHORTS[n % 2]} for n in numbers]).all()
        enrolment_ids = session.scalars(
            insert(Enrolment).returning(Enrolment.id, sort_by_parameter_order=True), [
                {"user_id": user_id, "course_id": course.id, "enrolled_at": now - timedelta(days=20),
                 "due_at": now + timedelta(days=-1 if n % 5 == 0 else 10),
                 "completed_at": now - timedelta(days=1) if n % 4 == 0 else None}
                for n, user_id in zip(numbers, user_ids, strict=True)]).all()
        active = [(n, e) for n, e in zip(numbers, enrolment_ids, strict=True) if n % 7]
        if not active:
            session.commit()
            return
        session.execute(insert(ModuleProgress), [
            {"enrolment_id": e, "module_id": module.id, "revision_id": module.current_revision_id,
             "completed_at": now - timedelta(days=2), "seconds_spent": 600} for n, e in active])
        attempt_ids = session.scalars(
            insert(QuizAttempt).returning(QuizAttempt.id, sort_by_parameter_order=True), [
                {"enrolment_id": e, "activity_id": bank.id, "revision_id": bank.current_revision_id,
                 "number": 1, "open_key": None, "state": "graded", "layout": [],
                 "submitted_at": now - timedelta(days=2), "graded_at": now - timedelta(days=2),
                 "score": float(n % 101), "is_passed": n % 101 >= 60,
                 "marks": "q0- q1-" if n % 3 == 0 else "q0+ q1-"} for n, e in active]).all()
        session.execute(insert(AttemptResponse), [
            row for (n, _), attempt_id in zip(active, attempt_ids, strict=True) for row in (
                {"attempt_id": attempt_id, "question_key": "q0", "response": {"value": 0},
                 "fraction": 0.0 if n % 3 == 0 else 1.0},
                {"attempt_id": attempt_id, "question_key": "q1", "response": {"value": True},
                 "fraction": 0.0})])
        session.execute(insert(ScenarioPlay), [
            {"enrolment_id": e, "activity_id": scenario.id, "revision_id": scenario.current_revision_id,
             "step_id": "good", "points": 20, "finished_at": now - timedelta(days=2), "score": 50,
             "is_passed": True} for n, e in active])
        session.execute(insert(TrainingSummary), [
            {"enrolment_id": e, "body": "培训总结" * 10, "status": "submitted"} for n, e in active if n % 2])
        session.commit()


def count_queries(app, client, path: str) -> tuple[int, float, str]:
    with counted_queries(app) as statements:
        start = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, path
    return len(statements), elapsed, response.get_data(as_text=True)


def header_titles(page: str) -> list[str]:
    return re.findall(r'<abbr title="([^"]+)">', page)


def test_columns_follow_the_course_with_short_names(app, client, course, make_user, login):
    populate(app, 1, 3)
    login(make_user("trainer"))
    page = client.get("/review/courses/big/").get_data(as_text=True)
    assert header_titles(page) == ["催收概述与流程", "注意事项：隐私、法律与用语", "结业考试",
                                   "案例分析：借款人拒绝还款", "迷你模拟"]
    assert '<abbr title="注意事项：隐私、法律与用语">注意事项</abbr>' in page
    assert '<abbr title="案例分析：借款人拒绝还款">借款人拒绝还款</abbr>' in page  # the group says 案例分析
    assert page.index(">培训总结<") < page.index(">证书<")
    assert "按工号排序" in page
    assert '<span class="person">学员00001</span> <span class="hint">E00001</span>' in page


def test_search_filters_sorting_and_paging(app, client, course, make_user, login):
    populate(app, 1, 60)
    login(make_user("trainer"))
    names = lambda page: re.findall(r'class="person">(学员\d+)<', page)  # noqa: E731

    found = client.get("/review/courses/big/?q=e0004").get_data(as_text=True)
    assert names(found) == [f"学员{n:05d}" for n in range(40, 50)]  # not E00004: 工号 contain the text
    assert names(client.get("/review/courses/big/?q=学员00012").get_data(as_text=True)) == ["学员00012"]

    tenth = client.get("/review/courses/big/?department=催收十部").get_data(as_text=True)
    assert set(names(tenth)) == {f"学员{n:05d}" for n in range(3, 61, 3)}
    cohort = client.get("/review/courses/big/?cohort=第10期&status=completed").get_data(as_text=True)
    assert set(names(cohort)) == {f"学员{n:05d}" for n in range(4, 61, 4)}  # even, and every 4th
    overdue = client.get("/review/courses/big/?status=overdue").get_data(as_text=True)
    assert set(names(overdue)) == {f"学员{n:05d}" for n in range(5, 61, 5) if n % 4}
    untouched = client.get("/review/courses/big/?status=not_started").get_data(as_text=True)
    assert set(names(untouched)) == {f"学员{n:05d}" for n in (7, 14, 21, 42, 49)}  # 28, 56 done; 35 overdue

    # departments in natural order: 一部, 二部, 十部 (not 一, 十, 二 as text would have it)
    by_department = client.get("/review/courses/big/?sort=department&status=in_progress").get_data(
        as_text=True)
    assert "按部门排序" in by_department
    listed = names(by_department)
    departments = [DEPARTMENTS[int(name[2:]) % 3] for name in listed]
    assert departments == sorted(departments, key=["催收一部", "催收二部", "催收十部"].index)
    # the exam's best score, highest first, over every page
    with app.app_context():
        exam = session.scalar(select(Activity.id).where(Activity.slug == "bank"))
    best = client.get(f"/review/courses/big/?sort=a{exam}&order=desc").get_data(as_text=True)
    assert "按结业考试排序（降序）" in best
    assert names(best)[:3] == ["学员00060", "学员00059", "学员00058"]
    assert "共 60 人" in best and "第 1 / 2 页" in best
    second = client.get(f"/review/courses/big/?sort=a{exam}&order=desc&page=2").get_data(as_text=True)
    assert len(names(second)) == 10 and names(second)[-1] in {"学员00007", "学员00014", "学员00021",
                                                               "学员00028", "学员00035", "学员00042",
                                                               "学员00049", "学员00056"}
    previous = re.search(r'href="([^"]*page=1[^"]*)"', second).group(1)
    assert f"sort=a{exam}" in previous and "order=desc" in previous  # paging keeps the order
    assert client.get("/review/courses/big/?sort=nonsense").status_code == 200


def test_the_export_holds_what_is_filtered_and_is_formula_safe(app, client, course, make_user, login):
    populate(app, 1, 60)
    with app.app_context():
        user = session.scalar(select(User).where(User.employee_no == "E00003"))
        user.display_name = "=HYPERLINK(\"http://x\")"
        session.commit()
    login(make_user("trainer"))
    exported = client.get("/review/courses/big/results.csv?department=催收十部&sort=name")
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="big-results-')
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0] == ["工号", "姓名", "部门", "班组", "状态", "催收概述与流程", "注意事项：隐私、法律与用语",
                       "结业考试", "案例分析：借款人拒绝还款", "迷你模拟", "培训总结", "证书编号", "证书状态"]
    assert len(rows) == 1 + 20 and {r[2] for r in rows[1:]} == {"催收十部"}
    assert "'=HYPERLINK(\"http://x\")" in [r[1] for r in rows[1:]]
    six = next(r for r in rows if r[0] == "E00006")
    assert six[5:13] == ["已完成", "", "6", "", "50", "", "", ""]
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/review/courses/big/results.xlsx?q=E0001").data))
    numbers = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert numbers == [f"E{n:05d}" for n in range(10, 20)]


def test_the_training_statistics_report_names_questions_by_their_text(app, client, course, make_user,
                                                                     login):
    populate(app, 1, 30)
    login(make_user("trainer"))
    page = client.get("/hr/courses/big/report").get_data(as_text=True)
    assert "培训情况统计报告" in page and "流程0" not in page
    assert "上门催收时可以采用暴力手段吗？" in page and "信用卡催收流程的第一步是什么？" in page
    assert page.index("催收一部") < page.index("催收二部") < page.index("催收十部")
    pdf = client.get("/hr/courses/big/report.pdf")
    disposition = pdf.headers["Content-Disposition"]
    assert 'filename="training-statistics-big-' in disposition
    assert f"filename*=UTF-8''{quote('培训情况统计报告-催收合规-')}" in disposition

    text = pdf_text(pdf.data)
    assert "培训情况统计报告" in text and "各部门完成情况" in text and "流程01" not in text
    assert "信用卡催收流程的第一步是什么" in text


def test_pages_run_the_same_queries_at_1000_and_10000_trainees(app, client, course, make_user, login,
                                                               capsys):
    login(make_user("trainer"))
    with app.app_context():
        exam = session.scalar(select(Activity.id).where(Activity.slug == "bank"))
    paths = ["/review/courses/big/", f"/review/courses/big/?sort=a{exam}&order=desc&page=3",
             "/review/courses/big/?sort=department&status=in_progress&q=E0", "/hr/courses/big/report"]
    populate(app, 1, 1000)
    small = {path: count_queries(app, client, path) for path in paths}
    populate(app, 1001, 9000)
    large = {path: count_queries(app, client, path) for path in paths}
    with capsys.disabled():
        for path in paths:
            print(f"\n{path}: {small[path][0]} queries, {small[path][1]:.2f} s at 1,000; "
                  f"{large[path][0]} queries, {large[path][1]:.2f} s at 10,000")
    for path in paths:
        assert large[path][0] == small[path][0], path
    assert "共 10000 人" in large["/review/courses/big/"][2]
    assert "10000" in large["/hr/courses/big/report"][2]

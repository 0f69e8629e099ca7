"""The trainee's pages: dashboard, course, module; progress recorded on the server."""

from __future__ import annotations

from datetime import timedelta

from lms.db import session, utcnow
from lms.learning import services
from lms.learning.models import Enrolment, ModuleProgress

from ..conftest import COURSE, csrf_token, let_time_pass, open_module

MODULES = ["overview-and-process", "communication-techniques", "precautions", "field-visits",
           "working-guidelines", "training-summary"]
#: the shipped modules' minutes (14, 12, 12, …) at the default min_share of 0.5, rounded up
REQUIRED_MINUTES = {"overview-and-process": 7, "communication-techniques": 6, "precautions": 6,
                    "field-visits": 7, "working-guidelines": 7, "training-summary": 6}


def report(client, module, seconds, reached_end=True):
    data = {"csrf_token": csrf_token(client, "/"), "seconds": str(seconds)}
    if reached_end:
        data["reached_end"] = "y"
    return client.post(f"/courses/{COURSE}/{module}/progress", data=data,
                       headers={"Accept": "application/json"})


def finish(client, app, module):
    """Open the module, spend its minimum time reading it engaged, and reach its end."""
    open_module(client, f"/courses/{COURSE}/{module}")
    minutes = REQUIRED_MINUTES[module]
    let_time_pass(app, module, minutes)
    return report(client, module, 60 * minutes)


def test_dashboard_shows_course_progress_due_date_and_next_step(client, shipped_course, make_user,
                                                                login):
    login(make_user("trainee"))
    page = client.get("/").get_data(as_text=True)
    assert "信用卡催收合规培训" in page
    assert "已完成 0%" in page
    assert "截止日期" in page
    assert f'href="/courses/{COURSE}/{MODULES[0]}"' in page and "开始学习" in page


def test_reading_to_the_end_completes_the_module(app, client, shipped_course, make_user, login):
    login(make_user("trainee"))
    page = client.get(f"/courses/{COURSE}/{MODULES[0]}").get_data(as_text=True)
    assert "了解客户情况" in page and "学习目标" in page
    response = finish(client, app, MODULES[0])
    assert response.status_code == 200
    assert response.json["completed"] is True and response.json["remaining_seconds"] == 0
    # one of 19 steps: 6 modules and the 13 activities they name
    assert response.json["course_percent"] == 5
    with app.app_context():
        row = session.query(ModuleProgress).one()
        assert row.completed_at is not None
        assert row.revision_id == row.module.current_revision_id
        assert row.seconds_spent == 7 * 60
    dashboard = client.get("/").get_data(as_text=True)
    assert "已完成 5%" in dashboard
    # the next step is the module's quiz, then the next module
    assert f'href="/courses/{COURSE}/quizzes/process-quiz/"' in dashboard


def test_reported_time_is_bounded_by_real_time(app, client, shipped_course, make_user, login):
    login(make_user("trainee"))
    url = f"/courses/{COURSE}/{MODULES[0]}"
    token = open_module(client, url)
    with app.app_context():
        row = session.query(ModuleProgress).one()
        row.last_seen_at = utcnow() - timedelta(minutes=2)
        session.commit()
    client.post(f"{url}/progress", data={"csrf_token": token, "seconds": "100000"})
    with app.app_context():
        row = session.query(ModuleProgress).one()
        assert 120 <= row.seconds_spent <= 130
        assert row.completed_at is None


def test_opening_a_module_records_nothing_until_its_first_report(app, client, shipped_course,
                                                                 make_user, login):
    login(make_user("trainee"))
    url = f"/courses/{COURSE}/{MODULES[0]}"
    token = csrf_token(client, url)
    with app.app_context():
        assert session.query(ModuleProgress).count() == 0
    response = client.post(f"{url}/progress", data={"csrf_token": token, "seconds": "600"},
                           headers={"Accept": "application/json"})
    assert response.json["completed"] is False
    with app.app_context():
        row = session.query(ModuleProgress).one()
        assert row.seconds_spent == 0  # the visit: no time on record had passed before it
    assert "module-item--in_progress" in client.get(f"/courses/{COURSE}/").get_data(as_text=True)


def test_modules_open_in_order(app, client, shipped_course, make_user, login):
    login(make_user("trainee"))
    response = client.get(f"/courses/{COURSE}/{MODULES[2]}")
    assert response.status_code == 302
    assert response.location == f"/courses/{COURSE}/"
    assert "请先完成" in client.get(response.location).get_data(as_text=True)
    assert finish(client, app, MODULES[2]).status_code == 409
    finish(client, app, MODULES[0])
    finish(client, app, MODULES[1])
    assert client.get(f"/courses/{COURSE}/{MODULES[2]}").status_code == 200


def test_course_page_lists_modules_with_status(app, client, shipped_course, make_user, login):
    login(make_user("trainee"))
    finish(client, app, MODULES[0])
    page = client.get(f"/courses/{COURSE}/").get_data(as_text=True)
    assert page.count("module-item--completed") == 1
    assert page.count("module-item--not_started") == 1
    assert page.count("module-item--locked") == 4


def test_reading_every_module_leaves_the_activities_to_do(app, client, shipped_course, make_user, login):
    login(make_user("trainee"))
    for module in MODULES:
        assert finish(client, app, module).json["completed"]
    page = client.get("/").get_data(as_text=True)
    assert "已完成 32%" in page  # 6 of 19 steps
    assert "下一步：测验 催收概述与流程 随堂测验" in page


def test_form_fallback_goes_to_the_next_module_once_the_time_is_spent(app, client, shipped_course,
                                                                      make_user, login):
    login(make_user("trainee"))
    url = f"/courses/{COURSE}/{MODULES[0]}"
    data = {"csrf_token": csrf_token(client, url), "reached_end": "y", "seconds": "0"}
    response = client.post(f"{url}/progress", data=data)  # without script, no time is measured
    assert response.status_code == 302 and response.location == url
    page = client.get(url).get_data(as_text=True)
    assert "你已读到结尾。再学习 7 分钟即可完成本单元。" in page
    assert "学习时长由浏览器记录" in page  # the <noscript> note says why
    let_time_pass(app, MODULES[0], 10)
    response = client.post(f"{url}/progress", data={**data, "seconds": str(7 * 60)})
    assert response.status_code == 302
    assert response.location == f"/courses/{COURSE}/{MODULES[1]}"


def test_a_module_scrolled_to_the_end_in_seconds_is_not_complete(app, client, shipped_course,
                                                                 make_user, login):
    login(make_user("trainee"))
    url = f"/courses/{COURSE}/{MODULES[0]}"
    page = client.get(url).get_data(as_text=True)
    assert "完成本单元还需有效学习 7 分钟" in page and "至少有效学习 7 分钟" in page
    open_module(client, url)
    result = report(client, MODULES[0], 600).json  # claims ten minutes, a few moments after opening
    assert result["completed"] is False and result["reached_end"] is True
    assert 7 * 60 - 10 <= result["remaining_seconds"] < 7 * 60 and result["remaining_minutes"] == 7
    with app.app_context():
        row = session.query(ModuleProgress).one()
        assert row.completed_at is None and row.reached_end_at is not None
        assert row.seconds_spent <= 10  # what really passed, and the grace for network delays
    page = client.get(url).get_data(as_text=True)
    assert "你已读到结尾。再学习 7 分钟即可完成本单元。" in page
    assert 'data-state="completed"' not in page
    assert "module-item--completed" not in client.get(f"/courses/{COURSE}/").get_data(as_text=True)


def test_heartbeats_after_the_end_complete_the_module_when_the_time_is_spent(
        app, client, shipped_course, make_user, login):
    login(make_user("trainee"))
    client.get(f"/courses/{COURSE}/{MODULES[0]}")
    assert report(client, MODULES[0], 0).json["completed"] is False  # the end, seen at once
    for minute in range(6):
        let_time_pass(app, MODULES[0], 1)
        result = report(client, MODULES[0], 60, reached_end=False).json
        assert result["completed"] is False
        assert result["remaining_minutes"] == 6 - minute  # the page counts down as time is accepted
    let_time_pass(app, MODULES[0], 1)
    result = report(client, MODULES[0], 60, reached_end=False).json
    assert result["completed"] is True and result["remaining_seconds"] == 0
    assert "你已完成本单元。" in client.get(f"/courses/{COURSE}/{MODULES[0]}").get_data(as_text=True)


def test_completion_needs_both_the_time_and_the_end(app, shipped_course, make_user):
    user = make_user("trainee")
    opened = utcnow()
    with app.app_context():
        enrolment = session.query(Enrolment).filter_by(user_id=user.id).one()
        module = services.find_module(enrolment.course, MODULES[0])
        services.open_module(enrolment, module, opened)
        # ten minutes claimed after one minute: one minute and the grace are counted
        row = services.record_reading(enrolment, module, 600, False, now=opened + timedelta(minutes=1))
        assert row.seconds_spent == 60 + services.REPORT_SLACK_SECONDS
        row = services.record_reading(enrolment, module, 400, False, now=opened + timedelta(minutes=8))
        assert row.seconds_spent == 465 and row.completed_at is None  # enough time, end not reached
        assert services.module_time(enrolment.course, row).is_enough
        row = services.record_reading(enrolment, module, 0, True, now=opened + timedelta(minutes=9))
        assert row.completed_at == opened + timedelta(minutes=9)


def test_a_burst_of_reports_earns_the_grace_once(app, shipped_course, make_user):
    """Sixty reports of ten minutes each, all within a second of the visit, count at most the
    grace: the time credited never runs ahead of the clock by more than that."""
    user = make_user("trainee")
    opened = utcnow()
    with app.app_context():
        enrolment = session.query(Enrolment).filter_by(user_id=user.id).one()
        module = services.find_module(enrolment.course, MODULES[0])
        services.open_module(enrolment, module, opened)
        for tick in range(60):
            row = services.record_reading(enrolment, module, 600, True,
                                          now=opened + timedelta(milliseconds=15 * tick))
        assert row.seconds_spent == services.REPORT_SLACK_SECONDS and row.completed_at is None
        # a minute later a report of that minute counts the minute, less what was lent
        row = services.record_reading(enrolment, module, 60, True, now=opened + timedelta(minutes=1))
        assert row.seconds_spent == 60 + services.REPORT_SLACK_SECONDS


def test_reports_sent_at_once_add_no_more_than_the_clock(app, client, shipped_course, make_user, login):
    """Twenty tabs (or a script) reporting ten minutes at the same moment: one grace in all."""
    login(make_user("trainee"))
    url = f"/courses/{COURSE}/{MODULES[0]}"
    token = open_module(client, url)
    started = utcnow()
    for _ in range(20):
        client.post(f"{url}/progress", data={"csrf_token": token, "seconds": "600", "reached_end": "y"},
                    headers={"Accept": "application/json"})
    passed = (utcnow() - started).total_seconds()
    with app.app_context():
        row = session.query(ModuleProgress).one()
        assert row.seconds_spent <= passed + services.REPORT_SLACK_SECONDS
        assert row.completed_at is None


def test_progress_is_per_trainee(app, client, shipped_course, make_user, login):
    first, second = make_user("trainee"), make_user("trainee")
    login(first)
    finish(client, app, MODULES[0])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(second)
    assert "已完成 0%" in client.get("/").get_data(as_text=True)


def test_overdue_courses_are_flagged(app, client, shipped_course, make_user, login):
    user = make_user("trainee")
    with app.app_context():
        enrolment = session.query(Enrolment).filter_by(user_id=user.id).one()
        enrolment.due_at = utcnow() - timedelta(days=1)
        session.commit()
    login(user)
    page = client.get("/").get_data(as_text=True)
    assert "course-card--overdue" in page and "已逾期" in page


def test_staff_preview_a_course_without_recording_progress(app, client, shipped_course, make_user,
                                                          login):
    login(make_user("trainer"))
    page = client.get(f"/courses/{COURSE}/{MODULES[3]}").get_data(as_text=True)
    assert "上门催收" in page and "data-progress-form" not in page
    with app.app_context():
        assert session.query(ModuleProgress).count() == 0


def test_module_page_has_read_aloud_print_and_phone_support(client, shipped_course, make_user,
                                                           login):
    login(make_user("trainee"))
    page = client.get(f"/courses/{COURSE}/{MODULES[0]}").get_data(as_text=True)
    assert "data-read-aloud hidden" in page  # shown by script only where speech exists
    assert 'media="print"' in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page


def test_staff_see_the_courses_they_can_preview(client, shipped_course, make_user, login):
    login(make_user("hr"))
    page = client.get("/").get_data(as_text=True)
    assert "可预览的课程" in page and f'href="/courses/{COURSE}/"' in page


def test_the_dashboard_says_when_a_course_is_due_soon(app, client, shipped_course, make_user, login):
    user = make_user("trainee")
    with app.app_context():
        enrolment = session.query(Enrolment).filter_by(user_id=user.id).one()
        enrolment.due_at = utcnow() + timedelta(days=3)
        session.commit()
    login(user)
    notice = client.get("/").get_data(as_text=True)
    assert "还有 3 天截止" in notice or "还有 2 天截止" in notice

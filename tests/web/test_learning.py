"""The trainee's pages: dashboard, course, module; progress recorded on the server."""

from __future__ import annotations

from datetime import timedelta

from lms.db import session, utcnow
from lms.learning.models import Enrolment, ModuleProgress

from ..conftest import COURSE, csrf_token

MODULES = ["overview-and-process", "communication-techniques", "precautions", "field-visits",
           "working-guidelines", "training-summary"]


def finish(client, module, seconds=30):
    url = f"/courses/{COURSE}/{module}"
    client.get(url)
    return client.post(f"{url}/progress", data={"csrf_token": csrf_token(client, "/"),
                                                "seconds": str(seconds), "reached_end": "y"},
                       headers={"Accept": "application/json"})


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
    response = finish(client, MODULES[0], seconds=40)
    assert response.status_code == 200
    assert response.json["completed"] is True
    # one of 19 steps: 6 modules and the 13 activities they name
    assert response.json["course_percent"] == 5
    with app.app_context():
        row = session.query(ModuleProgress).one()
        assert row.completed_at is not None
        assert row.revision_id == row.module.current_revision_id
        assert 0 < row.seconds_spent <= 40  # bounded by the time that really passed
    dashboard = client.get("/").get_data(as_text=True)
    assert "已完成 5%" in dashboard
    # the next step is the module's quiz, then the next module
    assert f'href="/courses/{COURSE}/quizzes/process-quiz/"' in dashboard


def test_reported_time_is_bounded_by_real_time(app, client, shipped_course, make_user, login):
    login(make_user("trainee"))
    url = f"/courses/{COURSE}/{MODULES[0]}"
    token = csrf_token(client, url)
    with app.app_context():
        row = session.query(ModuleProgress).one()
        row.last_seen_at = utcnow() - timedelta(minutes=2)
        session.commit()
    client.post(f"{url}/progress", data={"csrf_token": token, "seconds": "100000"})
    with app.app_context():
        row = session.query(ModuleProgress).one()
        assert 120 <= row.seconds_spent <= 130
        assert row.completed_at is None


def test_modules_open_in_order(client, shipped_course, make_user, login):
    login(make_user("trainee"))
    response = client.get(f"/courses/{COURSE}/{MODULES[2]}")
    assert response.status_code == 302
    assert response.location == f"/courses/{COURSE}/"
    assert "请先完成" in client.get(response.location).get_data(as_text=True)
    assert finish(client, MODULES[2]).status_code == 409
    finish(client, MODULES[0])
    finish(client, MODULES[1])
    assert client.get(f"/courses/{COURSE}/{MODULES[2]}").status_code == 200


def test_course_page_lists_modules_with_status(client, shipped_course, make_user, login):
    login(make_user("trainee"))
    finish(client, MODULES[0])
    page = client.get(f"/courses/{COURSE}/").get_data(as_text=True)
    assert page.count("module-item--completed") == 1
    assert page.count("module-item--not_started") == 1
    assert page.count("module-item--locked") == 4


def test_reading_every_module_leaves_the_activities_to_do(client, shipped_course, make_user, login):
    login(make_user("trainee"))
    for module in MODULES:
        assert finish(client, module).json["completed"]
    page = client.get("/").get_data(as_text=True)
    assert "已完成 32%" in page  # 6 of 19 steps
    assert "下一步：测验 催收概述与流程 随堂测验" in page


def test_form_fallback_goes_to_the_next_module(client, shipped_course, make_user, login):
    login(make_user("trainee"))
    url = f"/courses/{COURSE}/{MODULES[0]}"
    response = client.post(f"{url}/progress", data={"csrf_token": csrf_token(client, url),
                                                    "reached_end": "y"})
    assert response.status_code == 302
    assert response.location == f"/courses/{COURSE}/{MODULES[1]}"


def test_progress_is_per_trainee(client, shipped_course, make_user, login):
    first, second = make_user("trainee"), make_user("trainee")
    login(first)
    finish(client, MODULES[0])
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

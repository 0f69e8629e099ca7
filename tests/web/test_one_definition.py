"""One definition of each fact: the trainee's dashboard, HR's roster, export and person page show
the same percent complete and the same status."""

from __future__ import annotations

import csv
import io
import re

from lms.assessments.models import QuizAttempt
from lms.certificates.models import Certificate
from lms.db import session

from ..answering import attempt_form
from ..conftest import complete_modules, csrf_token, import_content, write_content
from .conftest import TINY_FILES, TINY_QUIZ
from .test_certificates import complete_course


def dashboard_percent(client) -> int:
    page = client.get("/").get_data(as_text=True)
    return int(re.search(r'data-testid="percent">[^<]*?(\d+)%', page).group(1))


def pass_quiz(client, app) -> None:
    start = client.post("/courses/tiny/quizzes/red-lines/start", data={"csrf_token": csrf_token(client, "/")})
    attempt = int(start.location.rsplit("/", 1)[1])
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, attempt))
    client.post(f"/attempts/{attempt}/submit", data={**form, "csrf_token": csrf_token(client, "/")})


def test_dashboard_and_hr_show_the_same_percent_complete(app, client, tiny, make_user, login):
    """The tiny course has three steps: its module, its quiz and the summary the module lists."""
    tiny()
    done = complete_course(client, app, make_user, login, name="全完成")
    read = make_user("trainee", display_name="只读完", employee_no="E7002")
    passed = make_user("trainee", display_name="测验过", employee_no="E7003")
    make_user("trainee", display_name="未开始", employee_no="E7004")
    complete_modules(app, read.id, "tiny")
    complete_modules(app, passed.id, "tiny")
    seen = {}
    for user, name in ((done, "全完成"), (read, "只读完"), (passed, "测验过")):
        login(user)
        if user is passed:
            pass_quiz(client, app)
        seen[name] = dashboard_percent(client)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert seen == {"全完成": 100, "只读完": 33, "测验过": 67}

    login(make_user("hr"))
    exported = client.get("/hr/courses/tiny/export.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    hr = {row["姓名"]: int(row["学习进度(%)"]) for row in rows}
    assert hr == {**seen, "未开始": 0}
    page = client.get("/hr/courses/tiny/?sort=percent").get_data(as_text=True)
    order = [name for name in ("未开始", "只读完", "测验过", "全完成") if name in page]
    assert sorted(order, key=page.index) == ["未开始", "只读完", "测验过", "全完成"]
    for user, name in ((read, "只读完"), (passed, "测验过")):  # the person page counts every step too
        person = client.get(f"/hr/people/{user.id}").get_data(as_text=True)
        assert f"已完成 {seen[name]}%" in person, name


def dashboard_state(client) -> str:
    return re.search(r'data-state="(\w+)"', client.get("/").get_data(as_text=True)).group(1)


def test_dashboard_and_hr_say_the_same_status(app, client, tiny, make_user, login):
    """Opened but nothing completed is in progress for both; a revoked certificate's holder is
    not completed for either (the dashboard said 已完成 while HR said 已逾期)."""
    tiny()
    holder = complete_course(client, app, make_user, login, name="被撤销")
    opened = make_user("trainee", display_name="刚打开", employee_no="E7002")
    login(opened)
    client.get("/courses/tiny/rules")
    client.post("/courses/tiny/rules/progress", data={"csrf_token": csrf_token(client, "/"), "seconds": "0"})
    seen = {"刚打开": dashboard_state(client)}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("hr"))
    with app.app_context():
        serial = session.query(Certificate).one().serial
    url = f"/hr/certificates/{serial}"
    client.post(url, data={"action": "revoke", "reason": "违规", "confirmed": "1",
                           "csrf_token": csrf_token(client, url)})
    exported = client.get("/hr/courses/tiny/export.csv").data.decode("utf-8-sig")
    hr = {row["姓名"]: row["状态"] for row in csv.DictReader(io.StringIO(exported))}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(holder)
    seen["被撤销"] = dashboard_state(client)
    labels = {"in_progress": "学习中", "overdue": "已逾期", "completed": "已完成", "not_started": "未开始"}
    assert {name: labels[state] for name, state in seen.items()} == hr
    assert seen == {"刚打开": "in_progress", "被撤销": "in_progress"}


def test_an_import_that_changes_the_course_is_seen_at_the_next_request(app, client, tmp_path, make_user,
                                                                        login):
    """The course's structure is cached per version: a module that stops listing the summary
    counts two steps from the next page on, in this process and (by the version) in any other."""
    courses, quizzes = write_content(tmp_path / "v1", "tiny", TINY_FILES, {"red-lines.md": TINY_QUIZ})
    import_content(app, courses, quizzes)
    trainee = make_user("trainee")
    complete_modules(app, trainee.id, "tiny")
    login(trainee)
    assert dashboard_percent(client) == 33  # 1 of 3: module, quiz, summary
    shorter = TINY_FILES["01-rules.md"].replace("[red-lines, training-summary]", "[red-lines]")
    courses, quizzes = write_content(tmp_path / "v2", "tiny", {**TINY_FILES, "01-rules.md": shorter},
                                     {"red-lines.md": TINY_QUIZ})
    import_content(app, courses, quizzes)
    assert dashboard_percent(client) == 50  # 1 of 2
    with app.app_context():  # importing it again changes nothing: the version stays
        from lms.learning.models import Course

        before = session.query(Course.updated_at).scalar()
        import_content(app, courses, quizzes)
        assert session.query(Course.updated_at).scalar() == before

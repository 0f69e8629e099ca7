"""Locked work is locked: in a course taken in order, what a locked module holds answers 403.

Every activity URL of every locked module of the shipped course (pages, start, attempt and play
pages and what they post to) and the final exam, with the reason on the error page; open once the
modules before are complete. An activity no module lists waits for every module.
"""

from __future__ import annotations

import pytest

from lms.accounts.services import get_user
from lms.assessments import quizzes, scenarios
from lms.assessments.models import SCENARIO, Activity
from lms.db import session, utcnow
from lms.learning import services as learning

from ..conftest import COURSE, complete_modules, csrf_token, import_content, write_content

#: The shipped course's modules in order, with the activities each one holds.
MODULES = [
    ("overview-and-process", ["process-quiz", "case-refuses-to-pay"]),
    ("communication-techniques", ["techniques-quiz", "scenario-refuses-to-pay"]),
    ("precautions", ["precautions-quiz", "scenario-privacy-request"]),
    ("field-visits", ["field-visits-quiz", "scenario-field-visit"]),
    ("working-guidelines", ["guidelines-quiz", "case-unreachable-debtor", "scenario-unreachable-debtor"]),
    ("training-summary", ["final-exam", "training-summary"]),
]


def module_title(app, slug: str) -> str:
    with app.app_context():
        return learning.find_module(learning.get_course(COURSE), slug).current_revision.title


def records(app, user_id: int, slug: str) -> tuple[str, ...]:
    """An attempt or play of activity ``slug`` (made as if it had been started before the lock),
    and the URLs that use it: (GET urls, POST urls)."""
    if slug == "training-summary":
        return (f"/courses/{COURSE}/summary",), (f"/courses/{COURSE}/summary",)
    with app.app_context():
        course = learning.get_course(COURSE)
        enrolment = learning.current_enrolment(get_user(user_id), course)
        activity = session.query(Activity).filter_by(course_id=course.id, slug=slug).one()
        if activity.kind == SCENARIO:
            play = scenarios.start_play(enrolment, activity, utcnow())
            session.commit()
            base = f"/courses/{COURSE}/scenarios/{slug}/"
            return (base, f"/plays/{play.id}"), (f"{base}start", f"/plays/{play.id}/choose")
        attempt = quizzes.start_attempt(enrolment, activity, utcnow())
        session.commit()
        base = f"/courses/{COURSE}/quizzes/{slug}/"
        return ((base, f"/attempts/{attempt.id}"),
                (f"{base}start", f"/attempts/{attempt.id}/save", f"/attempts/{attempt.id}/submit"))


def status_of(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client, "/")})


@pytest.mark.parametrize("done", range(len(MODULES)))
def test_each_locked_module_holds_its_activities_until_the_ones_before_are_complete(
        app, client, shipped_course, make_user, login, done):
    """With ``done`` modules complete, the next module's activities are open and later ones 403."""
    trainee = make_user("trainee")
    complete_modules(app, trainee.id, COURSE, done)
    login(trainee)
    reason = f"请先完成单元“{module_title(app, MODULES[done][0])}”：本课程需按顺序学习。"
    for position, (_module, slugs) in enumerate(MODULES):
        for slug in slugs:
            gets, posts = records(app, trainee.id, slug)
            for method, urls in (("GET", gets), ("POST", posts)):
                for url in urls:
                    response = status_of(client, method, url)
                    if position <= done:
                        assert response.status_code in (200, 302, 400, 409), (method, url)
                    else:
                        assert response.status_code == 403, (method, url, response.status_code)
                        assert reason in response.get_data(as_text=True), (method, url)


def test_the_reason_is_shown_in_english_too(app, client, shipped_course, make_user, login):
    trainee = make_user("trainee")
    with app.app_context():
        get_user(trainee.id).locale = "en"
        session.commit()
    login(trainee)
    response = client.get(f"/courses/{COURSE}/quizzes/final-exam/")
    assert response.status_code == 403
    title = module_title(app, MODULES[0][0])
    assert f"Complete the module “{title}” first: this course is taken in order." in \
        response.get_data(as_text=True)


def test_opening_the_last_module_opens_the_final_exam(app, client, shipped_course, make_user, login):
    trainee = make_user("trainee")
    complete_modules(app, trainee.id, COURSE, 4)
    login(trainee)
    assert client.get(f"/courses/{COURSE}/quizzes/final-exam/").status_code == 403
    complete_modules(app, trainee.id, COURSE, 5)
    assert client.get(f"/courses/{COURSE}/quizzes/final-exam/").status_code == 200
    start = client.post(f"/courses/{COURSE}/quizzes/final-exam/start",
                        data={"csrf_token": csrf_token(client, "/")})
    assert start.status_code == 302 and "/attempts/" in start.location
    assert client.get(start.location).status_code == 200


SEQUENTIAL_COURSE = """\
title: 顺序课程
sequential: true
modules: [first, second]
enrolment:
  all_trainees: true
"""
FIRST = "---\ntitle: 第一单元\nactivities: [first-quiz]\n---\n## 正文\n先了解客户情况。\n"
SECOND = "---\ntitle: 第二单元\n---\n## 正文\n再制定还款方案。\n"
QUIZ = "---\ntitle: {title}\n---\n## 上门催收可以采用暴力手段。\n答案：错误\n"


def test_an_activity_of_the_course_itself_waits_for_every_module(app, client, tmp_path, make_user,
                                                                  login):
    courses, quizzes_dir = write_content(
        tmp_path / "seq", "seq", {"course.yml": SEQUENTIAL_COURSE, "01-first.md": FIRST,
                                  "02-second.md": SECOND},
        {"first-quiz.md": QUIZ.format(title="第一单元测验"), "exam.md": QUIZ.format(title="结业考试")})
    trainee = make_user("trainee")
    import_content(app, courses, quizzes_dir)
    login(trainee)
    assert client.get("/courses/seq/quizzes/first-quiz/").status_code == 200
    locked = client.get("/courses/seq/quizzes/exam/")
    assert locked.status_code == 403 and "请先完成单元“第一单元”" in locked.get_data(as_text=True)
    complete_modules(app, trainee.id, "seq", 1)
    assert "请先完成单元“第二单元”" in client.get("/courses/seq/quizzes/exam/").get_data(as_text=True)
    complete_modules(app, trainee.id, "seq")
    assert client.get("/courses/seq/quizzes/exam/").status_code == 200


def test_a_course_not_taken_in_order_locks_nothing(app, client, mini, make_user, login):
    trainee = make_user("trainee")
    mini()
    login(trainee)
    assert client.get("/courses/mini/quizzes/mini-quiz/").status_code == 200
    assert client.get("/courses/mini/scenarios/mini-scenario/").status_code == 200

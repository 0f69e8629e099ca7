"""Notices: a reviewed summary, a graded essay, an assigned course and a changed due date reach
the trainee on the dashboard (once per event) and by email; result pages lead on."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from lms.accounts.models import User
from lms.assessments.models import QuizAttempt, TrainingSummary
from lms.db import session
from lms.notices.models import Notice
from lms.reminders.models import ReminderSent

from ..conftest import csrf_token, import_content, write_content
from .test_quizzes import answers, start, submit
from .test_reminders import inbox  # noqa: F401  (the SMTP server on loopback)
from .test_scenarios_and_summary import choose, post_summary, start_play

SUMMARY_BODY = "## 培训目的\n本次培训让我系统掌握了信用卡催收的五个步骤和注意事项。"
ASSIGNED_COURSE = """\
title: 投诉处理
modules: [basics]
enrolment:
  all_trainees: false
"""
ASSIGNED_MODULE = """\
---
title: 投诉处理要点
---
## 要点
先倾听，再记录。
"""


def logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def notices(app, user_id=None) -> list[tuple[str, str]]:
    with app.app_context():
        query = session.query(Notice).order_by(Notice.id)
        if user_id is not None:
            query = query.filter_by(user_id=user_id)
        return [(n.kind, n.key) for n in query]


def dashboard_notices(client) -> list[tuple[str, str, str]]:
    """(kind, text, the URL its View button posts to) of each notice on the dashboard."""
    page = client.get("/").get_data(as_text=True)
    found = []
    for block in re.findall(r'<div class="flash notice.*?</div>\s*</div>', page, re.S):
        kind = re.search(r'data-kind="([^"]+)"', block).group(1)
        text = " ".join(re.sub(r"<[^>]+>", " ", block.split('<div class="notice__actions">')[0]).split())
        action = re.search(r'action="([^"]+/open)"', block).group(1)
        found.append((kind, text, action))
    return found


def view(client, action):
    response = client.post(action, data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 303
    return response.location


def review_summary(client, decision, comment=""):
    with client.application.app_context():
        summary_id = session.query(TrainingSummary).one().id
    url = f"/review/summaries/{summary_id}"
    return client.post(url, data={"decision": decision, "comment": comment,
                                  "csrf_token": csrf_token(client, url)})


def test_a_returned_and_an_approved_summary_each_make_one_notice(app, client, trainee, make_user, login):
    post_summary(client, SUMMARY_BODY, "submit")
    logout(client)
    trainer = make_user("trainer")
    login(trainer)
    assert review_summary(client, "return", "请补充实战模拟的体会。").status_code == 302
    # sent twice: the decision stands and nothing more is recorded
    assert review_summary(client, "return", "请补充实战模拟的体会。").status_code == 302
    logout(client)

    login(trainee)
    [(kind, text, action)] = dashboard_notices(client)
    assert kind == "summary_returned"
    assert "培训师退回了你在“迷你课程”中提交的培训总结" in text and "请补充实战模拟的体会。" in text
    assert view(client, action) == "/courses/mini/summary"
    assert dashboard_notices(client) == []  # opened: gone
    post_summary(client, SUMMARY_BODY + "\n## 实践体会\n我学会了冷静应对。", "submit")
    logout(client)

    login(trainer)
    review_summary(client, "approve")
    review_summary(client, "approve")
    logout(client)
    login(trainee)
    [(kind, text, action)] = dashboard_notices(client)
    assert kind == "summary_approved" and "培训总结已通过审核" in text
    assert [k for k, _ in notices(app)] == ["summary_returned", "summary_approved"]


def test_a_graded_essay_makes_one_notice_linking_to_the_result(app, client, trainee, make_user, login):
    attempt_id = start(client, "essay-quiz")
    submit(client, attempt_id, answers(app, attempt_id))
    assert dashboard_notices(client) == []  # waiting for the trainer: nothing new yet
    logout(client)

    login(make_user("trainer"))
    with app.app_context():
        key = next(r.question_key for r in session.get(QuizAttempt, attempt_id).responses
                   if r.fraction is None)
    url = f"/review/attempts/{attempt_id}"
    for _ in range(2):  # saving the same grades again
        response = client.post(url, data={f"grade-{key}": "80", f"comment-{key}": "回答到位。",
                                          "csrf_token": csrf_token(client, url)})
        assert response.status_code == 302
    assert notices(app) == [("essay_graded", f"essay:{attempt_id}")]
    logout(client)

    login(trainee)
    [(kind, text, action)] = dashboard_notices(client)
    assert "培训师已为你在“问答”中的问答题评分：90%，已通过。" in text
    assert view(client, action) == f"/attempts/{attempt_id}/review"


@pytest.fixture
def assignable(app, tmp_path):
    """A course nobody is enrolled in until HR assigns it."""
    courses, quizzes = write_content(tmp_path / "assigned", "complaints",
                                     {"course.yml": ASSIGNED_COURSE, "01-basics.md": ASSIGNED_MODULE}, {})
    import_content(app, courses, quizzes)
    return "complaints"


def assign(client, course, due_on: date, department="催收一部"):
    """HR assigns through the preview, enrolling everyone new and ticking every due-date change."""
    url = f"/hr/courses/{course}/assign"
    form = {"departments": department, "due_on": due_on.isoformat(), "csrf_token": csrf_token(client, url)}
    preview = client.post(url, data=form).get_data(as_text=True)
    assert 'data-testid="assign-preview"' in preview, preview
    response = client.post(url, data={
        **form, "confirmed": "1",
        "enrol": re.findall(r'name="enrol" value="(\d+)"', preview),
        "change": re.findall(r'name="change" value="(\d+)"', preview)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def test_an_assigned_course_and_a_changed_due_date_each_make_one_notice(
        app, client, assignable, make_user, login):
    trainee = make_user("trainee")
    other = make_user("trainee", department="催收二部")
    login(make_user("hr"))
    first, later = date.today() + timedelta(days=20), date.today() + timedelta(days=30)
    assign(client, assignable, first)
    assign(client, assignable, first)  # the same again: nothing new
    assert [k for k, _ in notices(app, trainee.id)] == ["assigned"]
    assign(client, assignable, later)
    assign(client, assignable, later)
    assert [k for k, _ in notices(app, trainee.id)] == ["assigned", "due_changed"]
    assert notices(app, other.id) == []  # not in the department
    logout(client)

    login(trainee)
    (due_kind, due_text, due_action), (kind, text, action) = dashboard_notices(client)  # newest first
    assert kind == "assigned" and "你有一门新课程：“投诉处理”，截止日期" in text
    assert due_kind == "due_changed" and "“投诉处理”的截止日期已由" in due_text
    assert f"{later.year}年{later.month}月{later.day}日" in due_text
    assert view(client, action) == "/courses/complaints/"
    assert view(client, due_action) == "/courses/complaints/"


def test_a_newer_due_date_replaces_the_notice_of_the_earlier_change(app, client, trainee, make_user, login):
    logout(client)
    login(make_user("hr"))
    for days in (20, 25):  # mini enrols every trainee by itself: these only change the date
        assign(client, "mini", date.today() + timedelta(days=days))
    logout(client)
    login(trainee)
    [(kind, text, _)] = dashboard_notices(client)
    day = date.today() + timedelta(days=25)
    assert kind == "due_changed" and f"{day.year}年{day.month}月{day.day}日" in text
    assert len(notices(app)) == 2


def test_dismissing_is_a_post_by_the_owner(app, client, trainee, make_user, login):
    logout(client)
    login(make_user("hr"))
    assign(client, "mini", date.today() + timedelta(days=20))
    logout(client)
    with app.app_context():
        notice_id = session.query(Notice).one().id
    dismiss = f"/notices/{notice_id}/dismiss"

    login(make_user("trainee"))
    assert client.post(dismiss, data={"csrf_token": csrf_token(client, "/")}).status_code == 404
    assert client.post(f"/notices/{notice_id}/open",
                       data={"csrf_token": csrf_token(client, "/")}).status_code == 404
    logout(client)

    login(trainee)
    assert client.get(dismiss).status_code == 405
    assert len(dashboard_notices(client)) == 1
    response = client.post(dismiss, data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 303 and response.location == "/"
    assert dashboard_notices(client) == []
    with app.app_context():
        notice = session.get(Notice, notice_id)
        assert notice.dismissed_at is not None and notice.opened_at is None
    assert client.post("/notices/999999/dismiss",
                       data={"csrf_token": csrf_token(client, "/")}).status_code == 404


# --- email -----------------------------------------------------------------------------------

@pytest.fixture
def app_config(inbox) -> dict:  # noqa: F811
    return {"LMS_MAIL_SERVER": "127.0.0.1", "LMS_MAIL_PORT": inbox.port,
            "LMS_MAIL_FROM": "training@bank.example", "LMS_PUBLIC_URL": "https://training.example.com"}


def set_email(app, user_id, address):
    with app.app_context():
        session.get(User, user_id).email = address
        session.commit()


def sent_notices(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [(r.subject_id, r.step, r.recipient)
                for r in session.query(ReminderSent).filter_by(kind="notice").order_by(ReminderSent.id)]


def notice_mails(inbox):  # noqa: F811
    """What arrived, without due-date reminders (the mini course is due in 7 days)."""
    return [mail for mail in inbox.take() if mail.subject.startswith("【培训通知】")]


def return_summary(client, trainee, make_user, login):
    post_summary(client, SUMMARY_BODY, "submit")
    logout(client)
    login(make_user("trainer"))
    response = review_summary(client, "return", "请补充实战模拟的体会。")
    assert response.status_code == 302
    return response


def test_a_notice_is_emailed_once_after_the_response(app, client, trainee, make_user, login, inbox,  # noqa: F811
                                                     runner):
    set_email(app, trainee.id, "wang@example.com")
    response = return_summary(client, trainee, make_user, login)
    assert inbox.take() == []  # not while the request is being answered
    response.close()  # the server has sent the response
    [mail] = inbox.take()
    assert mail.recipients == ["wang@example.com"]
    assert mail.subject == "【培训通知】《迷你课程》的培训总结已退回，请修改后重新提交"
    assert "请补充实战模拟的体会。" in mail.body
    assert "https://training.example.com/courses/mini/summary" in mail.body
    [(notice_id, step, recipient)] = sent_notices(app)
    assert step == "summary_returned" and recipient == "wang@example.com"

    result = runner.invoke(args=["lms", "remind"])
    assert result.exit_code == 0, result.output
    assert notice_mails(inbox) == [] and "notice" not in result.output  # sent once


def test_a_notice_email_that_failed_is_sent_by_the_next_remind(app, client, trainee, make_user, login,
                                                               inbox, runner):  # noqa: F811
    set_email(app, trainee.id, "wang@example.com")
    inbox.refuse.add("wang@example.com")
    response = return_summary(client, trainee, make_user, login)
    response.close()  # the refusal is logged, not raised: the page was fine
    assert response.status_code == 302 and inbox.take() == [] and sent_notices(app) == []

    inbox.refuse.clear()
    result = runner.invoke(args=["lms", "remind"])
    assert result.exit_code == 0, result.output
    assert "sent notice summary_returned to wang@example.com" in result.output
    assert "1 notice" in result.output
    [mail] = notice_mails(inbox)
    assert "培训总结已退回" in mail.subject
    result = runner.invoke(args=["lms", "remind"])
    assert notice_mails(inbox) == [] and len(sent_notices(app)) == 1


def test_an_unreachable_server_does_not_break_the_request(app, client, trainee, make_user, login, runner):
    set_email(app, trainee.id, "wang@example.com")
    app.config["LMS_MAIL_PORT"] = 9  # discard: nothing listens there
    response = return_summary(client, trainee, make_user, login)
    response.close()
    assert response.status_code == 302 and sent_notices(app) == []
    with app.app_context():
        assert session.query(Notice).one().kind == "summary_returned"


def test_a_seen_notice_is_not_emailed_any_more(app, client, trainee, make_user, login, inbox, runner):  # noqa: F811
    set_email(app, trainee.id, "wang@example.com")
    inbox.refuse.add("wang@example.com")
    return_summary(client, trainee, make_user, login).close()
    inbox.refuse.clear()
    logout(client)
    login(trainee)
    [(_, _, action)] = dashboard_notices(client)
    view(client, action)
    result = runner.invoke(args=["lms", "remind"])
    assert result.exit_code == 0 and notice_mails(inbox) == [] and sent_notices(app) == []


# --- result pages lead on --------------------------------------------------------------------

def result_actions(page: str) -> str:
    return re.search(r'<div class="result-actions".*?</div>', page, re.S).group(0)


def test_after_passing_a_quiz_the_next_step_comes_first(app, client, trainee):
    attempt_id = start(client)
    submit(client, attempt_id, answers(app, attempt_id, right=True))
    actions = result_actions(client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True))
    first = re.search(r'<(a|button)[^>]*class="button button--primary[^"]*"[^>]*>', actions).group(0)
    assert "next-step" in first and 'href="/courses/mini/intro"' in first  # the module is still unread
    assert 'href="/courses/mini/quizzes/mini-quiz/"' in actions and "再试一次" in actions  # secondary
    assert "<form" not in actions


def test_after_failing_a_quiz_trying_again_comes_first(app, client, trainee):
    attempt_id = start(client)
    submit(client, attempt_id, answers(app, attempt_id, right=False))
    actions = result_actions(client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True))
    assert 'action="/courses/mini/quizzes/mini-quiz/start"' in actions
    assert actions.index("再试一次") < actions.index("重新学习“简介”")
    assert 'href="/courses/mini/intro"' in actions and "next-step" not in actions
    response = client.post("/courses/mini/quizzes/mini-quiz/start",
                           data={"csrf_token": csrf_token(client, "/")})
    second = int(response.location.rsplit("/", 1)[1])
    submit(client, second, answers(app, second, right=False))  # the last of 2 attempts
    actions = result_actions(client.get(f"/attempts/{second}/review").get_data(as_text=True))
    assert "再试一次" not in actions and 'href="/courses/mini/intro"' in actions


def test_the_debrief_leads_to_the_next_step_or_to_another_call(app, client, trainee):
    play_id = start_play(client)
    choose(app, client, play_id, "start", 1)  # a threat: critical, the call ends failed
    actions = result_actions(client.get(f"/plays/{play_id}/debrief").get_data(as_text=True))
    assert 'action="/courses/mini/scenarios/mini-scenario/start"' in actions and "再试一次" in actions
    assert "重新学习“简介”" in actions and "next-step" not in actions

    play_id = start_play(client)
    choose(app, client, play_id, "start", 0)
    choose(app, client, play_id, "plan", 0)
    actions = result_actions(client.get(f"/plays/{play_id}/debrief").get_data(as_text=True))
    assert "next-step" in actions and "<form" not in actions
    assert 'href="/courses/mini/scenarios/mini-scenario/"' in actions  # trying again: a link

"""Activation links: imported employees set a password once through a link HR copies or emails."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner

from lms.accounts import activation
from lms.accounts.models import User
from lms.audit.models import AuditEntry
from lms.db import session

from ..conftest import csrf_token
from .test_host_app import host_app  # noqa: F401
from .test_hr import upload
from .test_reminders import inbox  # noqa: F401  (the SMTP server on loopback)

EMPLOYEES = ("工号,姓名,部门,邮箱,入职日期,班组\nE9001,周敏,催收一部,zhou@example.com,2024-03-01,一班\n"
             "E9002,吴刚,催收二部,,2024/5/6,二班\n").encode("utf-8-sig")


def imported(app, client, make_user, login) -> dict[str, int]:
    """HR signs in and imports two employees (周敏 with an email address, 吴刚 without)."""
    login(make_user("hr"))
    assert upload(client, "staff.csv", EMPLOYEES).status_code == 200
    with app.app_context():
        found = session.query(User).filter(User.employee_no.in_(["E9001", "E9002"]))
        return {u.employee_no: u.id for u in found}


def copy_link(client, user_id: int, expected: int = 200) -> str | None:
    response = client.post(f"/people/{user_id}/link",
                           data={"send": "copy", "csrf_token": csrf_token(client, "/hr/")})
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected != 200:
        return None
    return re.search(r'data-testid="activation-link"', response.get_data(as_text=True)) and re.search(
        r'value="([^"]+)"[^>]*data-testid="activation-link"', response.get_data(as_text=True)).group(1)


def actions(app, subject: str) -> list[str]:
    with app.app_context():
        return [e.action for e in session.query(AuditEntry).filter_by(subject=subject).order_by(AuditEntry.id)
                if e.action.startswith("account.")]


def test_an_imported_employee_sets_a_password_once_and_is_signed_in(app, client, make_user, login):
    ids = imported(app, client, make_user, login)
    person = client.get(f"/hr/people/{ids['E9001']}").get_data(as_text=True)
    assert "未激活：尚未设置密码" in person and "获取激活链接" in person

    link = copy_link(client, ids["E9001"])
    assert link.startswith("https://training.example.com/activate/")
    path = link.removeprefix("https://training.example.com")

    trainee = app.test_client()
    form = trainee.get(path).get_data(as_text=True)
    assert "周敏，请设置你的登录密码。你的用户名是 e9001。" in form
    token = csrf_token(trainee, path)
    differ = trainee.post(path, data={"password": "long enough 1", "confirm": "long enough 2",
                                      "csrf_token": token})
    assert differ.status_code == 400 and "两次输入的密码不一致" in differ.get_data(as_text=True)
    short = trainee.post(path, data={"password": "short", "confirm": "short", "csrf_token": token})
    assert short.status_code == 400 and "8" in short.get_data(as_text=True)

    done = trainee.post(path, data={"password": "long enough 1", "confirm": "long enough 1",
                                    "csrf_token": token})
    assert done.status_code == 302 and done.location == "/"
    assert "周敏" in trainee.get("/").get_data(as_text=True)  # signed in, on the dashboard

    again = app.test_client().get(path)
    assert again.status_code == 410
    assert "此链接已经用于设置密码" in again.get_data(as_text=True)
    assert "请联系人力资源部或培训管理员重新获取链接" in again.get_data(as_text=True)
    assert actions(app, "e9001") == ["account.link_created", "account.activated"]
    with app.app_context():
        created = session.query(AuditEntry).filter_by(subject="e9001", action="account.link_created").one()
        assert created.details == {"employee_no": "E9001", "valid_days": 7, "reset": False}

    # now activated: HR may no longer make links for this person, and the roster-facing page says so
    assert "已激活" in client.get(f"/hr/people/{ids['E9001']}").get_data(as_text=True)
    copy_link(client, ids["E9001"], expected=403)
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "e9001", "password": "long enough 1",
                                      "csrf_token": csrf_token(fresh)}).status_code == 302


def test_an_expired_or_forged_link_says_to_ask_hr(app, client, make_user, login, monkeypatch):
    ids = imported(app, client, make_user, login)
    with monkeypatch.context() as patched, app.test_request_context():  # a link made eight days ago
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 8 * 86400)
        old = activation.create_link(session.get(User, ids["E9002"]), None)
        session.commit()
    old = old.removeprefix("https://training.example.com")
    expired = app.test_client().get(old)
    assert expired.status_code == 410 and "此链接已过期" in expired.get_data(as_text=True)
    forged = app.test_client().get(old[:-3] + "abc")
    assert forged.status_code == 410 and "此链接无效" in forged.get_data(as_text=True)
    assert app.test_client().get(copy_link(client, ids["E9002"]).removeprefix(
        "https://training.example.com")).status_code == 200  # a new one works


def test_hr_cannot_reset_an_active_account_an_admin_can(app, client, make_user, login):
    trainee = make_user("trainee")
    admin = make_user("admin")
    login(make_user("hr"))
    copy_link(client, trainee.id, expected=403)
    copy_link(client, admin.id, expected=403)
    assert "获取" not in client.get(f"/hr/people/{trainee.id}").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/hr/")})
    login(admin)
    assert "获取设置密码链接" in client.get(f"/admin/users/{trainee.id}").get_data(as_text=True)
    path = copy_link(client, trainee.id).removeprefix("https://training.example.com")
    person = app.test_client()
    token = csrf_token(person, path)
    assert person.post(path, data={"password": "a new password", "confirm": "a new password",
                                   "csrf_token": token}).status_code == 302
    with app.app_context():
        entry = session.query(AuditEntry).filter_by(subject=trainee.username,
                                                    action="account.activated").one()
        assert entry.details["reset"] is True and entry.actor_id == trainee.id
    old = app.test_client()  # the old password no longer works
    assert old.post("/login", data={"username": trainee.username, "password": trainee.password,
                                    "csrf_token": csrf_token(old)}).status_code == 401


@pytest.fixture
def app_config(inbox):  # noqa: F811
    return {"LMS_MAIL_SERVER": "127.0.0.1", "LMS_MAIL_PORT": inbox.port,
            "LMS_MAIL_FROM": "training@bank.example", "LMS_PUBLIC_URL": "https://training.example.com"}


def test_hr_emails_links_to_everyone_in_the_filter_not_yet_activated(app, client, make_user, login, tiny,
                                                                    inbox):  # noqa: F811
    tiny()
    ids = imported(app, client, make_user, login)
    active = make_user("trainee", department="催收一部")
    token = csrf_token(client, "/hr/")
    client.post("/hr/courses/tiny/assign", data={
        "departments": ["催收一部", "催收二部"], "due_on": "2099-01-01", "confirmed": "1",
        "csrf_token": token,        "enrol": [str(i) for i in (*ids.values(), active.id)]})
    roster = client.get("/hr/courses/tiny/").get_data(as_text=True)
    assert roster.count('data-testid="not-activated"') == 2
    assert "所选人员中有 2 人尚未激活账号。" in roster

    sent = client.post("/hr/courses/tiny/activation-links?department=催收一部",
                       data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "已将链接发送给：周敏。" in sent
    [mail] = inbox.take()
    assert mail.recipients == ["zhou@example.com"] and "开通你的培训账号" in mail.subject
    link = re.search(r"https://training\.example\.com/activate/\S+", mail.body).group(0)
    assert "周敏，你好" in mail.body and "7 天内有效" in mail.body
    assert app.test_client().get(link.removeprefix("https://training.example.com")).status_code == 200
    assert actions(app, "e9001") == ["account.link_created", "account.link_sent"]
    assert actions(app, active.username) == []

    everyone = client.post("/hr/courses/tiny/activation-links", data={"csrf_token": token},
                           follow_redirects=True).get_data(as_text=True)
    assert "没有邮箱地址，未发送：吴刚。" in everyone
    assert [m.recipients for m in inbox.take()] == [["zhou@example.com"]]
    assert actions(app, "e9002") == []


def test_a_host_app_offers_no_links(host_app):  # noqa: F811
    assert host_app.test_client().get("/training/activate/anything").status_code == 404


def test_the_command_line_prints_a_link(app, runner, make_user):
    trainee = make_user("trainee")
    printed = runner.invoke(args=["lms", "user", "link", trainee.username])
    assert printed.exit_code == 0 and printed.output.startswith("https://training.example.com/activate/")
    mailed = runner.invoke(args=["lms", "user", "link", trainee.username, "--send"])
    assert mailed.exit_code == 1 and "no email address" in mailed.output
    assert actions(app, trainee.username) == ["account.link_created"]

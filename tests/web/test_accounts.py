"""Signing in and out, throttling, redirects, language, and the admin's user pages."""

from __future__ import annotations

import pytest

from lms.accounts.models import User
from lms.db import session

from ..conftest import PASSWORD, csrf_token


def post_login(client, username, password, next_url=None):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def test_sign_in_and_out(client, make_user):
    user = make_user("trainee", display_name="王小明")
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302 and response.location == "/"
    assert "王小明" in client.get("/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user("trainee")
    response = post_login(client, user.username, "wrong password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_usernames_are_case_insensitive(client, make_user):
    user = make_user("trainee", username="Wang.Xm")
    assert post_login(client, "WANG.XM", PASSWORD).status_code == 302
    assert user.username == "wang.xm"


def test_sign_in_without_csrf_token_is_refused(client, make_user):
    user = make_user("trainee")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", " //evil.example",
])
def test_next_cannot_redirect_off_site(client, make_user, target):
    user = make_user("trainee")
    response = post_login(client, user.username, PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.location == "/"


def test_next_on_this_site_is_followed(client, make_user):
    user = make_user("trainee")
    response = post_login(client, user.username, PASSWORD, next_url="/courses/x/?tab=1")
    assert response.location == "/courses/x/?tab=1"


def test_repeated_failures_block_sign_in_for_a_while(client, make_user):
    user = make_user("trainee")
    for _ in range(5):
        assert post_login(client, user.username, "wrong password").status_code == 401
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True) or "15" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_users_cannot_sign_in(app, client, make_user):
    user = make_user("trainee")
    with app.app_context():
        session.get(User, user.id).is_active = False
        session.commit()
    assert post_login(client, user.username, PASSWORD).status_code == 401


def test_a_deactivated_user_is_signed_out(app, client, make_user, login):
    user = make_user("trainee")
    login(user)
    with app.app_context():
        session.get(User, user.id).is_active = False
        session.commit()
    assert client.get("/").status_code == 302


def test_session_cookie_is_http_only_and_same_site(client, make_user):
    user = make_user("trainee")
    response = post_login(client, user.username, PASSWORD)
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_language_switch_is_remembered_for_the_user(app, client, make_user, login):
    user = make_user("trainee")
    login(user)
    assert "我的学习" in client.get("/").get_data(as_text=True)
    response = client.post("/language", data={"locale": "en", "next": "/",
                                              "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert "My training" in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    fresh = app.test_client()
    post_login(fresh, user.username, PASSWORD)
    page = fresh.get("/").get_data(as_text=True)
    assert "My training" in page and 'lang="en"' in page


# --- admin user management -------------------------------------------------------------------

@pytest.fixture
def admin(client, make_user, login):
    login(make_user("admin", username="boss"))
    return client


def user_form(client, path, **fields):
    data = {"csrf_token": csrf_token(client, path), "display_name": "新学员", "roles": ["trainee"],
            "is_active": "y", **fields}
    return client.post(path, data=data)


def test_admin_creates_a_user(app, admin):
    response = user_form(admin, "/admin/users/new", username="zhang.san", display_name="张三",
                         employee_no="E2001", department="催收二部", password="a-good-password")
    assert response.status_code == 302
    with app.app_context():
        user = session.query(User).filter_by(username="zhang.san").one()
        assert (user.display_name, user.employee_no, user.department) == ("张三", "E2001", "催收二部")
        assert user.roles == {"trainee"}
    assert "张三" in admin.get("/admin/users?q=E2001").get_data(as_text=True)


def test_bad_fields_are_shown_next_to_the_field(admin, make_user):
    make_user("trainee", username="taken", employee_no="E9")
    response = user_form(admin, "/admin/users/new", username="taken", password="short",
                         email="not-an-email", employee_no="E9", roles=[])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-errors"' in page
    assert 'id="roles-errors"' in page


def test_duplicate_username_and_short_password_are_explained(admin, make_user):
    make_user("trainee", username="taken")
    page = user_form(admin, "/admin/users/new", username="taken",
                     password="a-good-password").get_data(as_text=True)
    assert 'id="username-errors"' in page and "taken" in page
    page = user_form(admin, "/admin/users/new", username="fresh",
                     password="short").get_data(as_text=True)
    assert 'id="password-errors"' in page


def test_admin_changes_roles_and_password(app, admin, make_user):
    user = make_user("trainee")
    response = user_form(admin, f"/admin/users/{user.id}", username=user.username,
                         display_name="改名", roles=["trainee", "trainer"],
                         password="another-password")
    assert response.status_code == 302
    with app.app_context():
        changed = session.get(User, user.id)
        assert changed.roles == {"trainee", "trainer"} and changed.display_name == "改名"
    fresh = app.test_client()
    assert post_login(fresh, user.username, "another-password").status_code == 302


def test_admin_cannot_remove_own_admin_role(app, admin):
    with app.app_context():
        boss = session.query(User).filter_by(username="boss").one()
        boss_id = boss.id
    response = user_form(admin, f"/admin/users/{boss_id}", username="boss", roles=["trainee"])
    assert response.status_code == 400
    with app.app_context():
        assert "admin" in session.get(User, boss_id).roles


def test_the_user_list_is_paginated_and_searchable(admin, make_user):
    for number in range(55):
        make_user("trainee", username=f"bulk{number:02d}", department="催收五部")
    first = admin.get("/admin/users?q=催收五部").get_data(as_text=True)
    assert "55 个用户" in first and "第 1 / 2 页" in first
    second = admin.get("/admin/users?q=催收五部&page=2").get_data(as_text=True)
    assert second.count("bulk") == 5


def test_role_changes_are_audited(app, admin, make_user):
    from lms.audit.models import AuditEntry

    user = make_user("trainee")
    user_form(admin, f"/admin/users/{user.id}", username=user.username, roles=["trainee", "hr"])
    with app.app_context():
        entry = session.query(AuditEntry).filter_by(action="user.roles", subject=user.username) \
            .order_by(AuditEntry.id.desc()).first()
        assert entry.details == {"roles": ["hr", "trainee"], "previous": ["trainee"]}
        assert entry.actor.username == "boss"


# --- names a certificate can hold ------------------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("张🫠", "证书无法打印 🫠 U+1FAE0"),       # an emoji no certificate font has
    ("李\ue000明", "证书无法打印 U+E000"),       # a private-use character: no font at all
    ("王" * 120, "姓名最多 60 个字符"),           # the form once allowed 120 and the PDF came out blank
])
def test_names_no_certificate_can_hold_are_refused_next_to_the_field(app, admin, make_user, name, message):
    response = user_form(admin, "/admin/users/new", username="new.one", display_name=name,
                         password="a-good-password")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="display_name-errors"' in page and message in page
    user = make_user("trainee")
    response = user_form(admin, f"/admin/users/{user.id}", username=user.username, display_name=name)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert session.get(User, user.id).display_name == user.display_name
        assert session.query(User).filter_by(username="new.one").count() == 0


def test_names_with_cjk_extension_characters_are_accepted(app, admin):
    response = user_form(admin, "/admin/users/new", username="rare.name", display_name="𪚥𠔻明",
                         password="a-good-password")
    assert response.status_code == 302
    with app.app_context():
        assert session.query(User).filter_by(username="rare.name").one().display_name == "𪚥𠔻明"

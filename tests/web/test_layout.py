"""The page header is rendered once per person and language and reused: never someone else's
name or links, and the session's own CSRF token and the page's own address in every copy."""

from __future__ import annotations

import re

from flask import Flask

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.db import session

from ..conftest import PASSWORD, csrf_token

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def header(page: str) -> str:
    return page[page.index('<header class="site-header">'):page.index("</header>")]


def sign_in(app: Flask, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client


def test_each_person_sees_their_own_name_and_links(app, make_user):
    trainee, hr = make_user("trainee", display_name="周敏"), make_user("hr", display_name="吴人事")
    first, second = sign_in(app, trainee.username), sign_in(app, hr.username)
    for _ in range(2):  # the second time from the kept rendering
        mine = header(first.get("/").get_data(as_text=True))
        theirs = header(second.get("/").get_data(as_text=True))
        assert "周敏" in mine and "吴人事" not in mine and 'href="/hr/"' not in mine
        assert "吴人事" in theirs and "周敏" not in theirs and 'href="/hr/"' in theirs

    with app.app_context():
        user = session.get(User, trainee.id)
        accounts.update_user(user, accounts.UserDetails(display_name="周敏𪚥", employee_no=user.employee_no,
                                                        department="催收二部"))
        session.commit()
    mine = header(first.get("/").get_data(as_text=True))
    assert "周敏𪚥" in mine and 'title="催收二部"' in mine


def test_every_copy_carries_its_sessions_token_and_its_pages_address(app, make_user):
    trainee = make_user("trainee")
    first, second = sign_in(app, trainee.username), sign_in(app, trainee.username)
    tokens = []
    for client in (first, second):
        page = client.get('/?next="><script>alert(1)</script>').get_data(as_text=True)
        assert "<script>alert(1)" not in page
        assert 'name="next" value="/?next=&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in header(page)
        token = TOKEN.findall(header(page))
        assert len(set(token)) == 1
        tokens.append(token[0])
        response = client.post("/language", data={"locale": "en", "csrf_token": token[0], "next": "/"})
        assert response.status_code == 302  # the token in the kept header is this session's
        assert "My training" in header(client.get("/").get_data(as_text=True))
    assert tokens[0] != tokens[1]

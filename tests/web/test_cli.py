"""`lms user …` and `lms demo`."""

from __future__ import annotations

import re

from lms.accounts.models import User
from lms.db import session
from lms.learning.models import Enrolment

from ..conftest import csrf_token


def test_user_add_list_set_role_and_password(app, runner, shipped_course):
    result = runner.invoke(args=[
        "lms", "user", "add", "zhou.min", "--password", "first-password", "--role", "trainee",
        "--name", "周敏", "--employee-no", "E3001", "--department", "催收三部"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["lms", "user", "list"]).output
    assert "zhou.min\ttrainee\tE3001\t周敏\t催收三部" in listing

    result = runner.invoke(args=["lms", "user", "set-role", "zhou.min", "--role", "trainee",
                                 "--role", "trainer"])
    assert result.output.strip() == "zhou.min: trainee, trainer"
    result = runner.invoke(args=["lms", "user", "set-password", "zhou.min",
                                 "--password", "second-password"])
    assert result.exit_code == 0
    with app.app_context():
        user = session.query(User).filter_by(username="zhou.min").one()
        assert user.roles == {"trainee", "trainer"}
        # a new trainee is enrolled in the shipped course with a due date
        enrolment = session.query(Enrolment).filter_by(user_id=user.id).one()
        assert enrolment.due_at is not None
    client = app.test_client()
    response = client.post("/login", data={"username": "zhou.min", "password": "second-password",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_user_add_refuses_duplicates_and_weak_passwords(runner):
    assert runner.invoke(args=["lms", "user", "add", "a1", "--password", "long-enough",
                               "--role", "hr"]).exit_code == 0
    result = runner.invoke(args=["lms", "user", "add", "A1", "--password", "long-enough",
                                 "--role", "hr"])
    assert result.exit_code == 1 and "a1" in result.output
    result = runner.invoke(args=["lms", "user", "add", "b1", "--password", "short",
                                 "--role", "hr"])
    assert result.exit_code == 1 and "8" in result.output
    result = runner.invoke(args=["lms", "user", "add", "c1", "--password", "long-enough",
                                 "--role", "boss"])
    assert result.exit_code == 2


def test_set_role_on_unknown_user_fails(runner):
    result = runner.invoke(args=["lms", "user", "set-role", "ghost", "--role", "hr"])
    assert result.exit_code == 1 and "no user named ghost" in result.output


def test_demo_creates_one_account_per_role_and_prints_passwords_once(app, runner):
    first = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0
    passwords = dict(re.findall(r"^(\w+)\s+password: (\S+)", first.output, flags=re.MULTILINE))
    assert set(passwords) == {"trainee", "trainer", "hr", "admin"}
    second = runner.invoke(args=["lms", "demo"])
    assert "password:" not in second.output and "exists" in second.output
    client = app.test_client()
    response = client.post("/login", data={"username": "trainee", "password": passwords["trainee"],
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_user_add_refuses_names_no_certificate_can_hold(runner):
    result = runner.invoke(args=["lms", "user", "add", "d1", "--password", "long-enough", "--role", "trainee",
                                 "--name", "周🫠"])
    assert result.exit_code == 1 and "U+1FAE0" in result.output
    result = runner.invoke(args=["lms", "user", "add", "d1", "--password", "long-enough", "--role", "trainee",
                                 "--name", "周" * 61])
    assert result.exit_code == 1 and "60" in result.output
    assert runner.invoke(args=["lms", "user", "add", "d1", "--password", "long-enough", "--role", "trainee",
                               "--name", "周𪚥"]).exit_code == 0

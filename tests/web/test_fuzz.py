"""Hostile strings thrown at every form and JSON endpoint, at the path segments of every page,
and at the search and filter boxes: never a 5xx, and nothing stored that breaks a field's rule.

The endpoints come from ``app.url_map``, so a new route is fuzzed without being listed here.
Bounded: a few examples, derandomized, so it takes seconds and says the same thing every run.
"""

from __future__ import annotations

import io
import re
import unicodedata
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms import fields
from lms.accounts.models import User
from lms.assessments.models import AttemptResponse, QuizAttempt, ScenarioPlay, SummaryEvent, TrainingSummary
from lms.certificates.models import Certificate
from lms.db import session
from lms.learning.models import Enrolment

from ..conftest import csrf_token

#: each is thrown at every field at once; values of a kind are joined to keep the run short
HOSTILE = [
    "\x00",  # NUL: PostgreSQL refuses it in text
    "a\x01\x07\x1b[31m\x7f\u0085\u2028b",  # control characters
    "\u202e\u200f𪚥😀👨‍👩‍👧e\u0301Ｅ１",  # RTL marks, beyond the BMP, emoji, not NFC, full width
    "x" * 20_001,  # over every limit
    "長" * 1_001,  # over the one-line limits, and escaped in URLs and forms
    "²",  # str.isdigit() is True, int() refuses it
    "99999999999999999999999",  # beyond any integer column
    "0001-01-01",  # a day before any the app names
    "'; DROP TABLE lms_users; --<img src=https://t.example/p.png>![x](https://t.example/q.png)",
]
VALUES = st.text(st.characters(codec="utf-8"), max_size=40)

#: what each kind of stored text must obey
USER_RULES = {"username": fields.USERNAME, "display_name": fields.DISPLAY_NAME,
              "employee_no": fields.EMPLOYEE_NO, "department": fields.DEPARTMENT,
              "cohort": fields.COHORT, "email": fields.EMAIL}
NOT_FUZZED = {"lms.static", "lms.accounts.logout"}  # files on disk; signing out ends the run
ARGUMENTS = {"course_slug": "mini", "module_slug": "intro", "fmt": "csv", "asset_path": "x.png",
             "serial": "CC-NONE"}


def _form_names(client: FlaskClient, paths: list[str]) -> set[str]:
    names = {"csrf_token"}
    for path in paths:
        page = client.get(path).get_data(as_text=True)
        names |= set(re.findall(r'name="([^"]+)"', page))
    return names - {"csrf_token"}


def _slug(endpoint: str) -> str:
    return "mini-scenario" if "scenario" in endpoint or "play" in endpoint else "essay-quiz"


def _url(rule, ids: dict[str, int], hostile: str | None = None) -> str:
    values = {}
    for name in rule.arguments:
        if name.endswith("_id"):
            values[name] = ids.get(name, 1)
        elif hostile is not None and name != "fmt":
            values[name] = hostile
        else:
            values[name] = ARGUMENTS.get(name) or _slug(rule.endpoint)
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[a-z_]+(?:\([^)]*\))?:)?{name}>", quote(str(value), safe=""), url)
    return url


@pytest.fixture
def stage(app: Flask, mini, make_user, login, client):
    """A trainee with an open attempt, a play and a draft summary; another's summary to review;
    an administrator; and the fields their pages send."""
    mini()
    trainee = make_user("trainee")
    admin = make_user("admin")
    trainee_client = app.test_client()
    trainee_client.post("/login", data={"username": trainee.username, "password": trainee.password,
                                        "csrf_token": csrf_token(trainee_client)})
    token = csrf_token(trainee_client, "/")
    attempt = trainee_client.post("/courses/mini/quizzes/essay-quiz/start", data={"csrf_token": token})
    play = trainee_client.post("/courses/mini/scenarios/mini-scenario/start", data={"csrf_token": token})
    trainee_client.post("/courses/mini/summary", data={"body": "草稿", "action": "draft",
                                                       "csrf_token": token})  # stays editable
    writer = make_user("trainee")  # whose summary waits for review
    login(writer)
    client.post("/courses/mini/summary", data={"body": "总结" * 20, "action": "submit",
                                               "csrf_token": csrf_token(client, "/")})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(admin)
    with app.app_context():
        ids = {"attempt_id": int(attempt.location.rsplit("/", 1)[1]),
               "play_id": int(play.location.rsplit("/", 1)[1]),
               "summary_id": session.scalars(select(TrainingSummary.id).join(Enrolment).where(
                   Enrolment.user_id == writer.id)).one(),
               "user_id": trainee.id,
               "enrolment_id": session.scalars(select(Enrolment.id).where(
                   Enrolment.user_id == trainee.id)).first()}
    names = _form_names(trainee_client, [f"/attempts/{ids['attempt_id']}", f"/plays/{ids['play_id']}",
                                         "/courses/mini/summary"])
    names |= _form_names(client, ["/admin/users/new", "/verify/", "/hr/courses/mini/assign",
                                  f"/hr/enrolments/{ids['enrolment_id']}/due",
                                  f"/review/summaries/{ids['summary_id']}", "/hr/courses/mini/"])
    anonymous = app.test_client()
    return {"trainee": trainee_client, "admin": client, "anonymous": anonymous, "ids": ids,
            "names": sorted(names), "admin_token": csrf_token(client, "/"), "trainee_token": token,
            "anonymous_token": csrf_token(anonymous)}


def _posters(endpoint: str) -> tuple[str, ...]:
    """Who sends a form: the public ones anonymously, a trainee's own as the trainee, the staff's
    as the administrator."""
    if endpoint in ("lms.accounts.login", "lms.accounts.set_language", "lms.certificates.verify_form"):
        return ("anonymous",)
    if endpoint.startswith(("lms.assessments.", "lms.learning.", "lms.notices.")):
        return ("trainee",)
    return ("admin",)


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


def _stored_problems(app: Flask) -> list[str]:
    def bad(value: str | None, rule: fields.TextRule) -> bool:
        return value is not None and (fields.text_problem(value, rule) is not None
                                      or unicodedata.normalize("NFC", value) != value)

    problems = []
    with app.app_context():
        for user in session.scalars(select(User)):
            problems += [f"user {user.id} {name}: {getattr(user, name)!r:.80}"
                         for name, rule in USER_RULES.items() if bad(getattr(user, name), rule)]
        problems += [f"summary {s.id}" for s in session.scalars(select(TrainingSummary))
                     if bad(s.body, fields.SUMMARY)]
        problems += [f"summary event {e.id}" for e in session.scalars(select(SummaryEvent))
                     if bad(e.comment, fields.COMMENT) or bad(e.body, fields.SUMMARY)]
        for response in session.scalars(select(AttemptResponse)):
            value = response.response.get("value")
            texts = [value] if isinstance(value, str) else []
            problems += [f"answer {response.id}: {text!r:.80}" for text in texts
                         if bad(text, fields.ESSAY_ANSWER) or "\x00" in text]
            if bad(response.grader_comment, fields.COMMENT):
                problems.append(f"grader comment {response.id}")
        problems += [f"certificate {c.serial}" for c in session.scalars(select(Certificate))
                     if bad(c.revoked_reason, fields.COMMENT)]
        problems += [f"play {p.id} step" for p in session.scalars(select(ScenarioPlay))
                     if "\x00" in p.step_id]
        assert session.scalars(select(QuizAttempt)).first() is not None  # the stage still stands
    return problems


def test_hostile_strings_never_give_a_5xx_nor_break_a_rule(app, stage):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in NOT_FUZZED]
    posts = [rule for rule in rules if "POST" in rule.methods]
    pages = list({(rule.endpoint.rsplit(".", 1)[0], frozenset(rule.arguments)): rule for rule in rules
                  if "GET" in rule.methods and any(not n.endswith("_id") and n != "fmt"
                                                   for n in rule.arguments)}.values())
    searches = ["/admin/users", "/hr/courses/mini/", "/review/courses/mini/", "/admin/audit",
                "/hr/courses/mini/report", "/hr/courses/mini/export.csv"]
    search_keys = ["q", "department", "cohort", "status", "certificate", "due_from", "due_to", "sort",
                   "order", "page", "within", "action", "from", "to", "include", "revision", "role"]
    assert len(posts) >= 15 and pages  # the url map is read, not a list kept here

    @settings(max_examples=1, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(value=VALUES)
    def throw(value: str) -> None:
        for rule in posts:
            for who in _posters(rule.endpoint):
                data = {name: value for name in stage["names"]}
                data["csrf_token"] = stage[f"{who}_token"]
                if rule.endpoint == "lms.hr.import_employees":  # alone: the test client leaks a large body
                    row = ",".join([value.replace(",", "")] * 6)
                    data = {"csrf_token": data["csrf_token"], "file": (
                        io.BytesIO(f"工号,姓名,部门,邮箱,入职日期,班组\n{row}\n".encode()), "a.csv")}
                url = _url(rule, stage["ids"])
                _check(stage[who].post(url, data=data, headers={"Accept": "application/json"}),
                       f"POST {url} as {who} with {value!r:.40}")
        for rule in pages:
            url = _url(rule, stage["ids"], value)
            _check(stage["admin"].get(url), f"GET {url}")
        for path in searches:
            query = {key: value for key in search_keys}
            _check(stage["admin"].get(path, query_string=query), f"GET {path} with {value!r:.40}")
        assert _stored_problems(app) == [], f"stored after {value!r:.40}"  # each value overwrites the last

    for value in HOSTILE:
        throw = example(value=value)(throw)
    throw()

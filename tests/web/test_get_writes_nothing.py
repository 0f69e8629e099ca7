"""A GET never writes: every main page of every role runs no INSERT, UPDATE or DELETE.

The few GETs that do write are explicit: a download or export records its audit entry, and a
trainee's own quiz or attempt page closes their attempt whose time ran out.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lms.assessments.models import QuizAttempt, ScenarioPlay, TrainingSummary
from lms.db import session

from ..answering import attempt_form
from ..conftest import PASSWORD, counted_queries, csrf_token, open_module

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client


@pytest.fixture
def people(app, mini, make_user):
    """A trainee part-way through the mini course (a module opened, a quiz passed, an attempt
    open, a play started, a summary submitted), and a trainer, HR and an admin."""
    mini()
    trainee = make_user("trainee")
    client = signed_in(app, trainee.username)
    open_module(client, "/courses/mini/intro")
    token = csrf_token(client, "/")
    graded = int(client.post("/courses/mini/quizzes/mini-quiz/start", data={"csrf_token": token})
                 .location.rsplit("/", 1)[1])
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, graded))
    client.post(f"/attempts/{graded}/submit", data={**form, "csrf_token": token})
    open_attempt = int(client.post("/courses/mini/quizzes/essay-quiz/start", data={"csrf_token": token})
                       .location.rsplit("/", 1)[1])
    client.post("/courses/mini/scenarios/mini-scenario/start", data={"csrf_token": token})
    client.post("/courses/mini/summary", data={"body": "我学会了合规催收的红线和方法，也学会了沟通技巧。",
                                               "action": "submit", "csrf_token": token})
    with app.app_context():
        play = session.query(ScenarioPlay).one().id
        summary = session.query(TrainingSummary).one().id
    return {"trainee": (client, trainee.id), "graded": graded, "open": open_attempt, "play": play,
            "summary": summary, "trainer": make_user("trainer").username,
            "hr": make_user("hr").username, "admin": make_user("admin").username}


def writes_of(app: Flask, client: FlaskClient, path: str) -> list[str]:
    with counted_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return [s for s in statements if WRITES.match(s)]


def main_pages(app: Flask, people: dict) -> dict[str, tuple[FlaskClient, list[str]]]:
    """Every role's main pages, each role signed in with its own client."""
    client, trainee_id = people["trainee"]
    return {
        "trainee": (client, ["/", "/courses/mini/", "/courses/mini/intro",
                             "/courses/mini/quizzes/mini-quiz/", f"/attempts/{people['open']}",
                             f"/attempts/{people['graded']}/review",
                             "/courses/mini/scenarios/mini-scenario/", f"/plays/{people['play']}",
                             "/courses/mini/summary"]),
        "trainer": (signed_in(app, people["trainer"]),
                    ["/", "/review/", "/review/courses/mini/", f"/review/summaries/{people['summary']}",
                     f"/review/attempts/{people['graded']}", f"/review/plays/{people['play']}",
                     "/review/courses/mini/activities/mini-quiz/", "/hr/courses/mini/report"]),
        "hr": (signed_in(app, people["hr"]),
               ["/hr/", "/hr/courses/mini/", f"/hr/people/{trainee_id}", "/hr/courses/mini/assign"]),
        "admin": (signed_in(app, people["admin"]), ["/admin/users", "/admin/audit"]),
    }


def test_no_main_page_writes_on_get(app, people):
    found = {path: writes for role, (browser, paths) in main_pages(app, people).items() for path in paths
             if (writes := writes_of(app, browser, path))}
    assert found == {}


def test_every_main_page_has_a_plain_title(app, people):
    """The browser tab and the history list show a page's title: words, never markup."""
    titles = {path: re.search(r"<title>(.*?)</title>", browser.get(path).get_data(as_text=True), re.S)[1]
              for role, (browser, paths) in main_pages(app, people).items() for path in paths}
    bad = {path: title for path, title in titles.items()
           if "<" in title or not re.fullmatch(r"\S.* · 催收员培训", title)}
    assert bad == {}


def test_a_summary_page_opened_before_writing_stores_nothing(app, mini, make_user):
    mini()
    client = signed_in(app, make_user("trainee").username)
    assert client.get("/courses/mini/summary").status_code == 200
    with app.app_context():
        assert session.query(TrainingSummary).count() == 0


def commits_of(app: Flask, client: FlaskClient, path: str) -> int:
    """How many transactions a GET commits (a page that only reads ends its transaction without)."""
    with app.app_context():
        from lms.extensions import db

        engine = db.engine
    commits: list[object] = []

    def listener(connection) -> None:
        commits.append(connection)

    sa.event.listen(engine, "commit", listener)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        sa.event.remove(engine, "commit", listener)
    return len(commits)


def test_pages_that_only_read_commit_nothing(app, people):
    client, _trainee_id = people["trainee"]
    paths = ["/", "/courses/mini/", "/courses/mini/intro", "/courses/mini/quizzes/mini-quiz/",
             f"/attempts/{people['open']}", f"/plays/{people['play']}"]
    assert {path: commits_of(app, client, path) for path in paths} == dict.fromkeys(paths, 0)


def test_on_postgresql_a_get_reads_in_autocommit_and_writes_only_after_begin_writing(app, database):
    """A GET's reads run in autocommit (no BEGIN and ROLLBACK round trips); a write there without
    begin_writing() is refused rather than committed statement by statement; after it, the
    request writes in one transaction as any other."""
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL reads in autocommit")
    from lms.accounts.models import User
    from lms.transaction import begin, begin_writing, finish

    with app.test_request_context("/"):
        begin()
        assert session.query(User).count() == 0
        assert session.connection().connection.dbapi_connection.autocommit
        session.add(User(username="late", display_name="迟到"))
        with pytest.raises(Exception, match="begin_writing"):
            session.flush()
        session.rollback()
        begin_writing()
        session.add(User(username="late", display_name="迟到"))
        session.flush()
        assert not session.connection().connection.dbapi_connection.autocommit
        finish(app.response_class("ok"))
    with app.app_context():
        assert session.query(User).filter_by(username="late").count() == 1

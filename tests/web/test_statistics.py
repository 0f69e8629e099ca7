"""The trainer's statistics page, ``lms stats`` and the query count of the page."""

from __future__ import annotations

import csv
import io
import json

import pytest
from markupsafe import escape
from sqlalchemy import select

from lms.accounts.models import User
from lms.assessments import quizzes, scenarios
from lms.assessments.grading import QUESTION_TYPES
from lms.assessments.models import Activity, AttemptResponse
from lms.db import session, utcnow
from lms.learning import services as learning

from ..answering import choice_token

QUIZ_PAGE = "/review/courses/mini/activities/mini-quiz/"
SCENARIO_PAGE = "/review/courses/mini/activities/mini-scenario/"


def take_quiz(app, user, right: tuple[bool, ...]) -> None:
    """An attempt at the mini quiz, answering question i right when ``right[i]``, else blank."""
    with app.app_context():
        course = learning.get_course("mini")
        enrolment = learning.current_enrolment(session.get(User, user.id), course)
        activity = session.scalar(select(Activity).where(Activity.slug == "mini-quiz"))
        now = utcnow()
        attempt = quizzes.start_attempt(enrolment, activity, now)
        questions = quizzes.questions_of(attempt.revision)
        for entry in attempt.layout:
            question = questions[int(entry["key"][1:])]
            value = QUESTION_TYPES[question.type].correct_response(question) if right[int(entry["key"][1:])] \
                else None
            attempt.responses.append(AttemptResponse(question_key=entry["key"], response={"value": value},
                                                     saved_at=now))
        quizzes.submit(attempt, now)
        session.commit()


def play(app, user, choices: list[tuple[str, int]]) -> None:
    with app.app_context():
        course = learning.get_course("mini")
        enrolment = learning.current_enrolment(session.get(User, user.id), course)
        activity = session.scalar(select(Activity).where(Activity.slug == "mini-scenario"))
        now = utcnow()
        record = scenarios.start_play(enrolment, activity, now)
        for step, index in choices:
            scenarios.choose(record, step, choice_token(record, index), now)
        session.commit()


@pytest.fixture
def answered(app, mini, make_user):
    """Five trainees; the quiz's four questions answered as in the unit test's pattern."""
    mini()
    patterns = [(True, True, True, True), (True, True, False, True), (True, False, True, False),
                (False, True, False, False), (False, False, False, False)]
    users = [make_user("trainee") for _ in patterns]
    for user, pattern in zip(users, patterns, strict=True):
        take_quiz(app, user, pattern)
    paths = [[("start", 0), ("plan", 0)], [("start", 0), ("plan", 0)], [("start", 2), ("plan", 0)],
             [("start", 1)], [("start", 1)]]
    for user, path in zip(users, paths, strict=True):
        play(app, user, path)
    return users


@pytest.mark.parametrize("roles, status", [(("trainer",), 200), (("admin",), 200), (("trainee",), 403),
                                           (("hr",), 403)])
def test_who_may_see_the_statistics(client, answered, make_user, login, roles, status):
    login(make_user(*roles))
    assert client.get(QUIZ_PAGE).status_code == status
    assert client.get(SCENARIO_PAGE).status_code == status


def test_unknown_activities_are_not_found(client, answered, make_user, login):
    login(make_user("trainer"))
    assert client.get("/review/courses/mini/activities/nothing/").status_code == 404
    assert client.get("/review/courses/nope/activities/mini-quiz/").status_code == 404


def test_the_quiz_page_shows_moodle_statistics(client, answered, make_user, login):
    login(make_user("trainer"))
    page = client.get(QUIZ_PAGE).get_data(as_text=True)
    # totals 4, 3, 2, 1, 0 of 4: mean 50 %, median 50 %
    assert "内部一致性系数" in page and "难度指数" in page and "区分度" in page and "区分效率" in page
    assert "标准误" in page
    assert '<td class="num">5</td>' in page and "50.00%" in page
    assert '<section id="findings"' in page
    assert page.count("<svg") == 2  # the histogram, and facility against discrimination
    assert "理解客户情况" in page  # the option texts in the response analysis
    results = client.get("/review/courses/mini/").get_data(as_text=True)
    assert QUIZ_PAGE in results


def test_first_and_all_attempts(app, client, answered, make_user, login):
    take_quiz(app, answered[4], (True, True, True, True))  # the weakest trainee tries again
    login(make_user("trainer"))
    first = client.get(QUIZ_PAGE).get_data(as_text=True)
    every = client.get(QUIZ_PAGE + "?attempts=all").get_data(as_text=True)
    assert '<td class="num">5</td>' in first and '<td class="num">6</td>' in every


def test_the_simulation_page_shows_paths_choices_and_failures(client, answered, make_user, login):
    login(make_user("trainer"))
    page = client.get(SCENARIO_PAGE).get_data(as_text=True)
    # five plays: 2 pass; two end critically at the first step; one fails at the end (minor)
    assert "接通 → 商量方案 → 结束" in page and "接通 → 投诉" in page
    assert "不得利用暴力、威胁等手段进行催收" in page and "语言措辞文明" in page
    assert "40.0%" in page  # 2 of 5 passed, 2 of 5 ended critically
    assert page.count("<svg") == 2


def test_stats_cli_json_and_csv(app, answered):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "stats", "mini/mini-quiz", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["quiz"]["attempts"] == 5 and data["quiz"]["mean"] == 50.0
    assert [q["facility"] for q in data["questions"]] == [60.0, 60.0, 40.0, 40.0]
    assert data["questions"][0]["options"][1] == {"text": "理解客户情况", "fraction": 1.0, "count": 3,
                                                  "percent": 60.0}
    result = runner.invoke(args=["lms", "stats", "mini/mini-quiz", "--csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 4 and rows[0]["facility"] == "60.0"
    result = runner.invoke(args=["lms", "stats", "mini/mini-scenario", "--json"])
    scenario = json.loads(result.output)["scenario"]
    assert scenario["plays"] == 5 and scenario["passed"] == 2
    assert scenario["critical_at"] == [{"label": "接通", "count": 2, "percent": 40.0}]
    result = runner.invoke(args=["lms", "stats", "mini/mini-quiz"])
    assert "CIC" in result.output and result.exit_code == 0
    result = runner.invoke(args=["lms", "stats", "mini/nothing"])
    assert result.exit_code == 1 and "no such activity" in result.output


def test_the_page_runs_a_fixed_number_of_queries(app, client, count_queries, mini, make_user, login):
    mini()
    trainer = make_user("trainer")

    take_quiz(app, make_user("trainee"), (True, False, True, False))
    play(app, make_user("trainee"), [("start", 0), ("plan", 0)])
    login(trainer)
    few = count_queries(QUIZ_PAGE), count_queries(SCENARIO_PAGE)
    for number in range(8):
        user = make_user("trainee")
        take_quiz(app, user, (number % 2 == 0, True, number % 3 == 0, False))
        play(app, user, [("start", number % 3), ("plan", 0)] if number % 3 != 1 else [("start", 1)])
    many = count_queries(QUIZ_PAGE), count_queries(SCENARIO_PAGE)
    assert many == few


def test_the_cohort_pdf_has_a_statistics_section_per_quiz(client, answered, make_user, login):
    from .test_reports import pdf_text

    login(make_user("trainer"))
    text = pdf_text(client.get("/hr/courses/mini/report.pdf").data)
    assert "题目统计 · 迷你测验" in text and "内部一致性系数" in text and "区分度" in text
    assert "难度指数" in text and "各题难度指数与区分度" in text


def test_the_page_shows_what_lms_check_reported_at_publishing(app, client, answered, make_user, login):
    with app.app_context():
        activity = session.scalar(select(Activity).where(Activity.slug == "mini-quiz"))
        stored = activity.current_revision.data["findings"]
    login(make_user("trainer"))
    page = client.get(QUIZ_PAGE).get_data(as_text=True)
    assert stored, "the mini quiz keys every single-choice answer first: a position cue"
    assert 'data-testid="findings"' in page
    for finding in stored:
        assert f"{finding['path']}:{finding['line']}" in page
        assert str(escape(finding["message"])) in page


def test_a_revision_out_of_range_is_not_found(client, answered, make_user, login):
    login(make_user("trainer"))
    for number in ("0", "-3", str(2**31), str(2**70), "x"):
        status = client.get(f"{QUIZ_PAGE}?revision={number}").status_code
        assert status == (200 if number == "x" else 404), number  # not a number: the current one

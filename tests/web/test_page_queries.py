"""The trainee's busiest pages run a fixed, small number of SQL statements: not more as the
trainee completes modules, nor as other trainees work through the course."""

from __future__ import annotations

from tests.conftest import COURSE, complete_modules

MODULE_PAGE = f"/courses/{COURSE}/overview-and-process"
COURSE_PAGE = f"/courses/{COURSE}/"
DASHBOARD = "/"
#: At most (SQLite counts its BEGIN; PostgreSQL begins without a statement): the user with roles,
#: the course with the trainee's enrolment and reading progress, the trainee's attempts, plays and
#: summary; the course page adds the current certificate, the dashboard the notices and the
#: trainee's certificates, current and past.
LIMITS = {MODULE_PAGE: 4, COURSE_PAGE: 5, DASHBOARD: 6}


def counts(count_queries) -> dict[str, int]:
    return {path: count_queries(path) for path in LIMITS}


def test_trainee_pages_run_a_fixed_number_of_queries(app, client, count_queries, shipped_course,
                                                     make_user, login):
    trainee = make_user("trainee")
    login(trainee)
    counts(count_queries)  # the course's structure and the module's text are cached from here on
    fresh = counts(count_queries)
    assert all(fresh[path] <= limit for path, limit in LIMITS.items()), fresh

    complete_modules(app, trainee.id, COURSE, 3)
    for number in range(5):
        other = make_user("trainee")
        complete_modules(app, other.id, COURSE, number + 1)
    assert counts(count_queries) == fresh


def test_the_module_page_still_shows_what_was_published(app, client, shipped_course, make_user, login):
    """The module's text and title come from caches kept per revision; the page shows them."""
    login(make_user("trainee"))
    first = client.get(MODULE_PAGE).get_data(as_text=True)
    again = client.get(MODULE_PAGE).get_data(as_text=True)
    assert "催收概述与流程" in first and "什么是信用卡催收" in first  # the title; the text
    assert first.count("module__content") == again.count("module__content") == 1
    assert len(first) > 2000


def test_the_course_page_shows_each_trainee_their_own_states(app, client, shipped_course, make_user,
                                                             login):
    """The module list is rendered once per stage and reused: never another trainee's states, and a
    new result or another language is seen at once."""
    from tests.conftest import csrf_token

    ahead, behind = make_user("trainee"), make_user("trainee")
    complete_modules(app, ahead.id, COURSE, 2)
    login(ahead)
    assert client.get(COURSE_PAGE).get_data(as_text=True).count("module-item--completed") == 2
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(behind)
    assert client.get(COURSE_PAGE).get_data(as_text=True).count("module-item--completed") == 0
    complete_modules(app, behind.id, COURSE, 1)
    page = client.get(COURSE_PAGE).get_data(as_text=True)
    assert page.count("module-item--completed") == 1 and "已完成" in page
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/"), "next": "/"})
    page = client.get(COURSE_PAGE).get_data(as_text=True)
    assert page.count("module-item--completed") == 1 and "Completed" in page and "已完成" not in page


def test_the_module_page_shows_each_trainee_their_own_state(app, client, shipped_course, make_user,
                                                            login):
    """The module's head and text are rendered once per state and reused: a trainee who completed
    it sees "completed", one who did not never does, and a language switch is seen at once."""
    from tests.conftest import csrf_token

    done, reading = make_user("trainee"), make_user("trainee")
    complete_modules(app, done.id, COURSE, 1)
    login(done)
    page = client.get(MODULE_PAGE).get_data(as_text=True)
    assert 'data-testid="module-state"' in page and "第 1 单元" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(reading)
    page = client.get(MODULE_PAGE).get_data(as_text=True)
    assert 'data-testid="module-state"' not in page and "催收概述与流程" in page
    assert reading.display_name in page and done.display_name not in page
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/"), "next": "/"})
    page = client.get(MODULE_PAGE).get_data(as_text=True)
    assert "Module 1 of" in page and "About" in page and "第 1 单元" not in page
    complete_modules(app, reading.id, COURSE, 1)
    assert 'data-testid="module-state"' in client.get(MODULE_PAGE).get_data(as_text=True)


def test_the_dashboard_asks_as_much_for_three_courses_as_for_one(app, client, count_queries,
                                                                 shipped_course, mini, tiny,
                                                                 make_user, login):
    """Every course's activities and certificate come in one query each, whatever the number of
    courses a trainee is assigned."""
    trainee = make_user("trainee")
    login(trainee)
    count_queries(DASHBOARD)
    one = count_queries(DASHBOARD)
    mini()
    tiny()
    count_queries(DASHBOARD)  # the new courses' structures are cached from here on
    assert client.get(DASHBOARD).get_data(as_text=True).count('class="card course-card') == 3
    assert count_queries(DASHBOARD) == one <= LIMITS[DASHBOARD]

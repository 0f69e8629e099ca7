"""Every route for every role: allowed, redirected to sign in, or 403 — never another's data."""

from __future__ import annotations

import pytest

from ..conftest import COURSE, complete_modules, csrf_token

MODULE = "overview-and-process"
ROLES = ["anonymous", "trainee", "trainer", "hr", "admin"]

#: (method, path, roles allowed). Anonymous users are sent to the sign-in page instead.
#: Quizzes, scenarios and the summary belong to trainees enrolled in the course; staff hold no
#: enrolment, so they review results on the /review pages instead. The trainee here has read the
#: first five modules, so the course (taken in order) has opened all of these to them.
ROUTES = [
    ("GET", "/", {"trainee", "trainer", "hr", "admin"}),
    ("GET", f"/courses/{COURSE}/", {"trainee", "trainer", "hr", "admin"}),
    ("GET", f"/courses/{COURSE}/{MODULE}", {"trainee", "trainer", "hr", "admin"}),
    ("POST", f"/courses/{COURSE}/{MODULE}/progress", {"trainee"}),
    ("GET", f"/courses/{COURSE}/quizzes/process-quiz/", {"trainee"}),
    ("POST", f"/courses/{COURSE}/quizzes/process-quiz/start", {"trainee"}),
    ("GET", f"/courses/{COURSE}/scenarios/scenario-refuses-to-pay/", {"trainee"}),
    ("POST", f"/courses/{COURSE}/scenarios/scenario-refuses-to-pay/start", {"trainee"}),
    ("GET", f"/courses/{COURSE}/summary", {"trainee"}),
    ("GET", "/review/", {"trainer", "admin"}),
    ("GET", f"/review/courses/{COURSE}/", {"trainer", "admin"}),
    ("GET", f"/review/courses/{COURSE}/activities/process-quiz/", {"trainer", "admin"}),
    ("GET", f"/review/courses/{COURSE}/activities/final-exam/?attempts=all", {"trainer", "admin"}),
    ("GET", f"/review/courses/{COURSE}/activities/scenario-refuses-to-pay/", {"trainer", "admin"}),
    ("GET", "/author/", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/module/{MODULE}", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/module/{MODULE}", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/module/{MODULE}/history?a=1&b=1", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/module/{MODULE}/rollback", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/activity/scenario-refuses-to-pay", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/activity/scenario-refuses-to-pay/map.svg", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/activity/scenario-refuses-to-pay/map.svg?revision=1", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/module/{MODULE}/preview", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/module/{MODULE}/draft", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/activity/process-quiz", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/package.zip", {"trainer", "admin"}),
    ("GET", "/author/packages/import", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/media", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/media", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/new", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/new", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/move", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/publish", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/settings", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/settings", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/module/{MODULE}/rename", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/module/{MODULE}/rename", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/module/{MODULE}/retire", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/module/{MODULE}/retire", {"trainer", "admin"}),
    ("GET", f"/author/{COURSE}/module/{MODULE}/restore", {"trainer", "admin"}),
    ("POST", f"/author/{COURSE}/module/{MODULE}/restore", {"trainer", "admin"}),
    ("GET", "/hr/", {"hr", "admin"}),
    ("GET", f"/hr/courses/{COURSE}/", {"hr", "admin"}),
    ("GET", f"/hr/courses/{COURSE}/export.csv", {"hr", "admin"}),
    ("GET", f"/hr/courses/{COURSE}/assign", {"hr", "admin"}),
    ("GET", "/hr/employees/import", {"hr", "admin"}),
    ("GET", f"/hr/courses/{COURSE}/report", {"hr", "trainer", "admin"}),
    ("GET", "/admin/audit", {"admin"}),
    ("GET", "/admin/users", {"admin"}),
    ("GET", "/admin/users/new", {"admin"}),
    ("POST", "/admin/users/new", {"admin"}),
    ("GET", "/admin/users/{other}", {"admin"}),
    ("POST", "/admin/users/{other}", {"admin"}),
]


@pytest.fixture
def as_role(app, client, shipped_course, make_user, login):
    other = make_user("trainee", username="other")

    def sign_in(role: str):
        if role != "anonymous":
            user = make_user(role)
            if role == "trainee":
                complete_modules(app, user.id, COURSE, 5)
            login(user)
        return other

    return sign_in


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_route_access(client, as_role, role, method, path, allowed):
    other = as_role(role)
    path = path.format(other=other.id)
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token(client, "/login" if role == "anonymous" else "/")
        response = client.post(path, data={"csrf_token": token})
    if role == "anonymous":
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")
    elif role in allowed:
        assert response.status_code in (200, 302, 400), response.status_code
        assert response.status_code != 403
    else:
        assert response.status_code == 403
        assert other.display_name not in response.get_data(as_text=True)


def test_a_forbidden_page_shows_no_data(client, as_role):
    other = as_role("trainee")
    response = client.get(f"/admin/users/{other.id}")
    assert response.status_code == 403
    assert "other" not in response.get_data(as_text=True).split("<main", 1)[1]


def test_unknown_course_and_module_are_404(client, as_role):
    as_role("trainee")
    assert client.get("/courses/nope/").status_code == 404
    assert client.get(f"/courses/{COURSE}/nope").status_code == 404
    assert client.get("/no/such/page").status_code == 404


def test_a_trainee_not_assigned_a_course_gets_403(app, client, shipped_course, make_user, login):
    from lms.db import session
    from lms.learning.models import Enrolment

    user = make_user("trainee")
    with app.app_context():
        session.query(Enrolment).filter_by(user_id=user.id).delete()
        session.commit()
    login(user)
    assert client.get(f"/courses/{COURSE}/").status_code == 403
    assert client.get(f"/courses/{COURSE}/{MODULE}").status_code == 403


def test_posting_without_a_csrf_token_is_refused(client, as_role):
    as_role("trainee")
    response = client.post(f"/courses/{COURSE}/{MODULE}/progress", data={"reached_end": "y"})
    assert response.status_code == 400


def test_verification_is_public(client, shipped_course):
    assert client.get("/verify/").status_code == 200
    assert client.get("/verify/CC-2026-0000-0000").status_code == 404

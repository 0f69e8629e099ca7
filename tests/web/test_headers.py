"""Security and caching headers on every response: every route of the app, as every role, with
the ids of real objects, including the 404s, 405s and 500s on the way."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import Rule

from lms.assessments.models import QuizAttempt, TrainingSummary
from lms.certificates.models import Certificate
from lms.db import session
from lms.learning.models import Enrolment
from lms.notices.models import Notice

from ..conftest import csrf_token
from .test_certificates import complete_course

ROLES = ["anonymous", "holder", "other trainee", "trainer", "hr", "admin"]
CACHEABLE = {"lms.static"}


@pytest.fixture
def app_config() -> dict:
    return {"PROPAGATE_EXCEPTIONS": False}  # a failing view answers 500 as in production


def check_headers(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe" not in csp, (where, csp)
    assert "frame-ancestors 'self'" in csp, where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert "camera=()" in headers.get("Permissions-Policy", ""), where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert "Strict-Transport-Security" not in headers, where  # only with secure cookies


def check_caching(response, endpoint: str | None, where: str) -> None:
    cache = response.headers.get("Cache-Control", "")
    if endpoint in CACHEABLE:  # public files keep their caching
        assert "no-store" not in cache, where
    else:
        assert "no-store" in cache, (where, cache)


def demo_values(app: Flask) -> dict[str, object]:
    with app.app_context():
        first = lambda model: session.query(model).order_by(model.id).first()  # noqa: E731
        certificate, notice = first(Certificate), first(Notice)
        return {"course_slug": "tiny", "module_slug": "rules", "asset_path": "images/none.png",
                "attempt_id": first(QuizAttempt).id, "summary_id": first(TrainingSummary).id,
                "enrolment_id": first(Enrolment).id, "user_id": first(Enrolment).user_id,
                "notice_id": notice.id if notice else 1, "play_id": 1, "serial": certificate.serial,
                "fmt": "csv", "filename": "lms.css", "token": "no-such-token", "kind": "certificates_zip",
                "name": "logo.svg", "folder": "images", "rest": "none.png"}


def url_for_rule(app: Flask, rule: Rule, values: dict[str, object]) -> str:
    given = {name: values[name] for name in rule.arguments if name in values}
    if "slug" in rule.arguments:
        given["slug"] = "red-lines" if "quiz" in rule.rule or "activities" in rule.rule else "nothing"
    return app.url_map.bind("localhost").build(rule.endpoint, given)


def test_every_route_for_every_role_carries_the_headers(app, client, tiny, make_user, login, monkeypatch):
    from lms.certificates import services as certificates
    from lms.reports import summaries

    @app.get("/boom")
    def boom():  # a view failing outside the LMS blueprint
        raise RuntimeError("boom")

    monkeypatch.setattr(summaries, "render_report_pdf", lambda *args, **kwargs: b"%PDF-1.7 stub")
    tiny()
    holder = complete_course(client, app, make_user, login)
    values = demo_values(app)
    staff = {role: make_user(role) for role in ("trainer", "hr", "admin")}
    users = {"holder": holder, "other trainee": make_user("trainee"), **staff}
    real_find = certificates.find
    monkeypatch.setattr(certificates, "find",  # a failing view inside the blueprint
                        lambda serial: (_ for _ in ()).throw(RuntimeError) if serial == "BOOM"
                        else real_find(serial))

    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    extra = [("GET", "/no/such/page", None), ("GET", "/boom", "boom"), ("GET", "/verify/BOOM", None),
             ("GET", "/static/none.css", "lms.static")]
    statuses: dict[int, int] = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login_as = users[role]
            client.post("/login", data={"username": login_as.username, "password": login_as.password,
                                        "csrf_token": csrf_token(client)})
        token = csrf_token(client, "/login" if role == "anonymous" else "/")
        requests = [("GET", url_for_rule(app, rule, values), rule.endpoint) for rule in rules]
        requests += extra
        requests += [("POST", url_for_rule(app, rule, values), rule.endpoint) for rule in rules
                     if "POST" in rule.methods and rule.endpoint != "lms.accounts.logout"]
        for method, url, endpoint in requests:
            where = f"{role}: {method} {url}"
            with client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None,
                             buffered=False) as response:
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                check_headers(response, where)
                check_caching(response, endpoint, where)
    assert {200, 302, 400, 403, 404, 405, 500} <= set(statuses), statuses
    assert 503 not in statuses, statuses  # no request waits out the database's lock timeout


def test_strict_transport_security_with_secure_cookies(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    for url in ("/login", "/no/such/page"):
        assert client.get(url).headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_page_carries_inline_script_or_style(app, client, tiny, make_user, login):
    """What the policy forbids must not be on the pages: the browser would drop it."""
    tiny()
    login(make_user("trainee"))
    token = csrf_token(client, "/")
    start = client.post("/courses/tiny/quizzes/red-lines/start", data={"csrf_token": token})
    for url in ("/", "/courses/tiny/", "/courses/tiny/rules", start.location, "/courses/tiny/summary"):
        page = client.get(url).get_data(as_text=True)
        assert "style=" not in page and " on" + "click=" not in page, url
        for script in page.split("<script")[1:]:
            opening = script.split(">", 1)[0]
            assert 'src="' in opening or 'type="application/json"' in opening, (url, opening)

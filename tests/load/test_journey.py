"""200 trainees through the whole journey at once against a live server, on SQLite and PostgreSQL:
sign in, read the module (page and progress beacon), take the quiz, play the call simulation,
submit the summary; trainers approve every summary. Then the database is checked.

Bounded: one short course, CSRF off (the forms' tokens are not what is measured), certificates
rendered by a stand-in (a real one costs ~0.3 s of CPU; rendering is measured by `make bench`).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookiejar import CookieJar

import pytest
import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.assessments.models import QuizAttempt, ScenarioPlay, SummaryEvent, TrainingSummary
from lms.audit.services import verify_chain
from lms.certificates.models import Certificate
from lms.db import session
from lms.learning.models import Enrolment

from ..answering import attempt_form, choice_token
from ..conftest import PASSWORD, TEST_CONFIG, _build_app, _clear_postgres, import_content, write_content
from ..live import BoundedServer
from ..web.conftest import SCENARIO, TINY_QUIZ

pytestmark = pytest.mark.load

TRAINEES = 200
TRAINERS = 4
#: Everything the journey asks must be done in this time, or the test fails.
BUDGET_SECONDS = 120

COURSE = """\
title: 压测课程
hours: 1
modules: [rules]
enrolment:
  all_trainees: true
  due_days: 14
summary:
  min_chars: 10
reading:
  min_share: 0
certificate:
  validity_months: 12
  signatory: 李培训
  signatory_title: 培训中心主任
"""
MODULE = """\
---
title: 催收红线
activities: [red-lines, mini-scenario, training-summary]
---
## 红线
不得利用暴力、威胁等手段进行催收。
"""


SUMMARY = "我学会了合规催收的红线，今后一定依法催收。"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Browser:
    """One person's cookies; every answer's status is kept."""

    url: str
    statuses: list[tuple[str, int]]
    opener: urllib.request.OpenerDirector = field(init=False)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(f"{self.url}{path}", data=body, timeout=60) as response:
                status, location = response.status, ""
                response.read()
        except urllib.error.HTTPError as answer:
            status, location = answer.code, answer.headers.get("Location", "")
            answer.read()
        self.statuses.append((path, status))
        return status, location


def fake_issue_pdf(snapshot, *_rendering) -> bytes:
    return b"%PDF-1.7\n% load test stand-in for " + snapshot.serial.encode() + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def journey(database, tmp_path_factory):
    """Run the journey once per database; what the server answered and the app to look into."""
    folder = tmp_path_factory.mktemp("load")
    config = {**TEST_CONFIG, "TESTING": False, "WTF_CSRF_ENABLED": False}
    if database.backend == "sqlite":
        shutil.copy(database.template, folder / "lms.db")
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder / 'lms.db'}"
    else:
        config["SQLALCHEMY_DATABASE_URI"] = database.url
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": 10, "max_overflow": 20,
            "connect_args": {"options": f"-csearch_path={database.schema}"}}
    app = _build_app(config, folder / "instance")
    courses, quizzes = write_content(
        folder / "content", "load", {"course.yml": COURSE, "01-rules.md": MODULE},
        {"red-lines.md": TINY_QUIZ, "mini-scenario.scenario.md": SCENARIO})
    import_content(app, courses, quizzes)
    with app.app_context():
        for number in range(TRAINEES):
            accounts.create_user(f"load{number:03d}", PASSWORD, ["trainee"], accounts.UserDetails(
                display_name=f"学员{number:03d}", employee_no=f"L{number:04d}"))
        for number in range(TRAINERS):
            accounts.create_user(f"coach{number}", PASSWORD, ["trainer"],
                                 accounts.UserDetails(display_name=f"培训师{number}"))
        session.commit()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    # As served in production: a bounded number of requests at once (gunicorn's threads), the
    # rest queued on the socket; the database pool (15) covers every thread.
    bounded = BoundedServer(app, threads=12)
    server = bounded.server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{bounded.port}"
    statuses: list[tuple[str, int]] = []
    patch = pytest.MonkeyPatch()
    patch.setattr("lms.certificates.render.issue_pdf", fake_issue_pdf)
    started = time.perf_counter()
    try:
        trainee_errors = run_all(lambda n: trainee_journey(app, Browser(url, statuses), n), range(TRAINEES))
        summaries = approve_summaries(app, url, statuses)
        seconds = time.perf_counter() - started
    finally:
        patch.undo()
        server.shutdown()
    yield app, statuses, trainee_errors, summaries, seconds
    with app.app_context():
        from lms.extensions import db

        db.engine.dispose()
    if database.backend == "postgresql":
        _clear_postgres(database.schema)


def run_all(work, items) -> list[str]:
    """Run ``work`` for every item at once (one thread each); the exceptions, as text."""
    items = list(items)
    start = threading.Barrier(len(items))

    def run(item) -> str | None:
        start.wait()
        try:
            work(item)
        except Exception as error:  # reported by the test, with the others
            return f"{item}: {type(error).__name__}: {error}"
        return None

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return [error for error in pool.map(run, items) if error]


def trainee_journey(app, browser: Browser, number: int) -> None:
    status, _location = browser.request("/login", {"username": f"load{number:03d}", "password": PASSWORD})
    assert status == 302, f"sign-in answered {status}"
    browser.request("/courses/load/rules")
    browser.request("/courses/load/rules/progress", {"seconds": "30", "reached_end": "y"})
    status, location = browser.request("/courses/load/quizzes/red-lines/start", {})
    attempt_id = int(location.rsplit("/", 1)[1])
    browser.request(f"/attempts/{attempt_id}")
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, attempt_id))
    browser.request(f"/attempts/{attempt_id}/submit", form)
    status, location = browser.request("/courses/load/scenarios/mini-scenario/start", {})
    play_id = int(location.rsplit("/", 1)[1])
    for step in ("start", "plan"):
        with app.app_context():
            token = choice_token(session.get(ScenarioPlay, play_id), 0)
        browser.request(f"/plays/{play_id}/choose", {"step": step, "choice": token})
    browser.request("/courses/load/summary", {"body": SUMMARY, "action": "submit"})


def approve_summaries(app, url: str, statuses: list[tuple[str, int]]) -> int:
    """Trainers approve every submitted summary at once, each taking a share."""
    with app.app_context():
        ids = session.scalars(sa.select(TrainingSummary.id).order_by(TrainingSummary.id)).all()

    def approve(trainer: int) -> None:
        browser = Browser(url, statuses)
        browser.request("/login", {"username": f"coach{trainer}", "password": PASSWORD})
        for summary_id in ids[trainer::TRAINERS]:
            browser.request(f"/review/summaries/{summary_id}", {"decision": "approve", "comment": ""})

    errors = run_all(approve, range(TRAINERS))
    assert not errors, errors
    return len(ids)


def test_the_journey_fits_its_budget(journey):
    statuses, seconds = journey[1], journey[4]
    assert len(statuses) >= 8 * TRAINEES  # every trainee got well into the journey
    assert seconds < BUDGET_SECONDS


def test_no_server_errors(journey):
    _app, statuses, errors, summaries, _seconds = journey
    failed = Counter(path.split("/")[1] for path, status in statuses if status >= 500)
    assert not failed, failed
    assert not errors, errors[:5]
    assert summaries == TRAINEES


def test_every_submission_is_stored_once(journey):
    app = journey[0]
    with app.app_context():
        attempts = session.execute(sa.select(QuizAttempt.enrolment_id, sa.func.count())
                                   .where(QuizAttempt.submitted_at.is_not(None))
                                   .group_by(QuizAttempt.enrolment_id)).all()
        plays = session.execute(sa.select(ScenarioPlay.enrolment_id, sa.func.count())
                                .where(ScenarioPlay.finished_at.is_not(None))
                                .group_by(ScenarioPlay.enrolment_id)).all()
        events = Counter(session.scalars(sa.select(SummaryEvent.action)))
    assert len(attempts) == TRAINEES and {count for _, count in attempts} == {1}
    assert len(plays) == TRAINEES and {count for _, count in plays} == {1}
    assert events == {"submitted": TRAINEES, "approved": TRAINEES}


def test_every_completion_has_its_certificate(journey):
    app = journey[0]
    with app.app_context():
        completed = session.scalars(sa.select(Enrolment.id).where(Enrolment.completed_at.is_not(None))).all()
        certificates = Counter(session.scalars(sa.select(Certificate.enrolment_id)))
        pdfs = session.execute(sa.select(Certificate.pdf, Certificate.sha256)).all()
    assert len(completed) == TRAINEES
    assert {enrolment: certificates[enrolment] for enrolment in completed} == dict.fromkeys(completed, 1)
    assert all(hashlib.sha256(pdf).hexdigest() == digest for pdf, digest in pdfs)


def test_the_audit_chain_is_intact(journey):
    app = journey[0]
    with app.app_context():
        assert verify_chain() == []

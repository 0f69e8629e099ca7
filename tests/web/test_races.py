"""Identical requests at the same moment, against the app served for real (threaded), on SQLite
and PostgreSQL: none is answered with a 5xx, and each has its effect exactly once.

Each race sends N requests released together, and is repeated on fresh records a few times.
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.assessments.models import (
    AttemptResponse,
    QuizAttempt,
    ScenarioChoice,
    ScenarioPlay,
    SummaryEvent,
    TrainingSummary,
)
from lms.audit.models import AuditEntry
from lms.audit.services import verify_chain
from lms.certificates.models import Certificate
from lms.db import session, utcnow
from lms.learning.models import Enrolment, ModuleProgress
from lms.notices.models import Notice

from ..answering import attempt_form, choice_token
from ..conftest import PASSWORD, import_content, local_day, write_content
from ..live import Browser, race, serve, server_errors
from .conftest import MODULE

N, TRIALS = 6, 4
JSON = {"Accept": "application/json"}


@pytest.fixture
def live(app):
    with serve(app) as base:
        yield base


def count(app, statement) -> int:
    with app.app_context():
        return session.scalar(statement)


def signed_in(live, make_user, *roles: str, **details: str) -> tuple[int, Browser]:
    user = make_user(*roles, **details)
    return user.id, Browser(live).sign_in(user.username, PASSWORD)


def enrolment_of(app, user_id: int) -> int:
    with app.app_context():
        return session.scalar(select(Enrolment.id).where(Enrolment.user_id == user_id,
                                                         Enrolment.is_archived.is_(False)))


def same_time(browser: Browser, method: str, path: str, data: dict | None = None, **kwargs):
    """N tabs of ``browser`` sending the same request together; their responses."""
    tabs = [browser.tab() for _ in range(N)]
    return race([partial(getattr(tab, method), path, data, **kwargs) for tab in tabs])


def assert_answered(responses, *statuses: int) -> None:
    assert server_errors(responses) == []
    assert {r.status_code for r in responses} <= set(statuses), [r.status_code for r in responses]


def test_a_module_opened_in_several_tabs_has_one_progress_row(app, live, mini, make_user):
    mini()
    for _ in range(TRIALS):
        user_id, browser = signed_in(live, make_user, "trainee")
        token = browser.token("/courses/mini/intro")
        responses = same_time(browser, "post", "/courses/mini/intro/progress",
                              {"csrf_token": token, "seconds": "0"}, headers=JSON)
        assert_answered(responses, 200)
        assert count(app, select(func.count(ModuleProgress.id)).where(
            ModuleProgress.enrolment_id == enrolment_of(app, user_id))) == 1


def test_a_double_clicked_quiz_start_starts_one_attempt(app, live, mini, make_user):
    mini()
    for _ in range(TRIALS):
        user_id, browser = signed_in(live, make_user, "trainee")
        token = browser.token("/courses/mini/quizzes/mini-quiz/")
        responses = same_time(browser, "post", "/courses/mini/quizzes/mini-quiz/start",
                              {"csrf_token": token})
        assert_answered(responses, 302)
        assert len({r.headers["Location"] for r in responses}) == 1  # all to the same attempt
        assert count(app, select(func.count(QuizAttempt.id)).where(
            QuizAttempt.enrolment_id == enrolment_of(app, user_id))) == 1


def _started(browser: Browser, activity: str, token: str | None = None) -> tuple[int, str]:
    """Start the activity at ``activity`` (its page's path): the new attempt's or play's id, and
    the CSRF token used."""
    token = token or browser.token(activity)
    started = browser.post(f"{activity}start", {"csrf_token": token})
    return int(started.headers["Location"].rsplit("/", 1)[1]), token


def _start_attempt(app, browser: Browser) -> tuple[int, dict, str]:
    attempt_id, token = _started(browser, "/courses/mini/quizzes/mini-quiz/")
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, attempt_id))
    return attempt_id, form, token


def test_two_tabs_saving_the_first_answer_store_it_once(app, live, mini, make_user):
    mini()
    for _ in range(TRIALS):
        _user_id, browser = signed_in(live, make_user, "trainee")
        attempt_id, form, token = _start_attempt(app, browser)
        field, value = next(iter(form.items()))
        responses = same_time(browser, "post", f"/attempts/{attempt_id}/save",
                              {field: value, "csrf_token": token}, headers=JSON)
        assert_answered(responses, 200)
        assert count(app, select(func.count(AttemptResponse.id)).where(
            AttemptResponse.attempt_id == attempt_id)) == 1


def test_a_double_submitted_quiz_is_graded_once(app, live, mini, make_user):
    mini()
    for _ in range(TRIALS):
        _user_id, browser = signed_in(live, make_user, "trainee")
        attempt_id, form, token = _start_attempt(app, browser)
        responses = same_time(browser, "post", f"/attempts/{attempt_id}/submit",
                              {**form, "csrf_token": token})
        assert_answered(responses, 302)
        assert {r.headers["Location"] for r in responses} == {f"/attempts/{attempt_id}/review"}
        with app.app_context():
            attempt = session.get(QuizAttempt, attempt_id)
            assert attempt.state == "graded" and attempt.is_passed
            assert len(attempt.responses) == len(attempt.layout)  # one row per question


def test_a_double_clicked_simulation_start_leaves_one_unfinished_play(app, live, mini, make_user):
    mini()
    for _ in range(TRIALS):
        user_id, browser = signed_in(live, make_user, "trainee")
        token = browser.token("/courses/mini/scenarios/mini-scenario/")
        responses = same_time(browser, "post", "/courses/mini/scenarios/mini-scenario/start",
                              {"csrf_token": token})
        assert_answered(responses, 302)
        assert len({r.headers["Location"] for r in responses}) == 1
        assert count(app, select(func.count(ScenarioPlay.id)).where(
            ScenarioPlay.enrolment_id == enrolment_of(app, user_id),
            ScenarioPlay.finished_at.is_(None))) == 1


def test_the_same_choice_sent_twice_is_stored_once(app, live, mini, make_user):
    mini()
    for _ in range(TRIALS):
        _user_id, browser = signed_in(live, make_user, "trainee")
        play_id, token = _started(browser, "/courses/mini/scenarios/mini-scenario/")
        with app.app_context():
            choice = choice_token(session.get(ScenarioPlay, play_id), 0)
        responses = same_time(browser, "post", f"/plays/{play_id}/choose",
                              {"step": "start", "choice": choice, "csrf_token": token})
        assert_answered(responses, 302)
        assert count(app, select(func.count(ScenarioChoice.id)).where(
            ScenarioChoice.play_id == play_id)) == 1


def test_a_double_submitted_summary_is_submitted_once(app, live, mini, make_user):
    mini()
    for _ in range(TRIALS):
        _user_id, browser = signed_in(live, make_user, "trainee")
        token = browser.token("/courses/mini/summary")
        responses = same_time(browser, "post", "/courses/mini/summary",
                              {"body": "我学会了合规催收的红线和方法，也学会了沟通技巧。", "action": "submit",
                               "csrf_token": token})
        assert_answered(responses, 302)
        assert count(app, select(func.count(SummaryEvent.id)).where(SummaryEvent.action == "submitted")
                     .join(TrainingSummary).where(
                         TrainingSummary.enrolment_id == enrolment_of(app, _user_id))) == 1


def _ready_for_approval(app, live, make_user) -> tuple[int, int, Browser]:
    """A trainee of the tiny course with everything done but the summary's approval."""
    user_id, browser = signed_in(live, make_user, "trainee", display_name="王小明")
    token = browser.token("/courses/tiny/rules")
    browser.post("/courses/tiny/rules/progress", {"reached_end": "y", "csrf_token": token})
    attempt_id, _token = _started(browser, "/courses/tiny/quizzes/red-lines/", token)
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, attempt_id))
    browser.post(f"/attempts/{attempt_id}/submit", {**form, "csrf_token": token})
    browser.post("/courses/tiny/summary", {"body": "我学会了合规催收的红线和方法。", "action": "submit",
                                           "csrf_token": token})
    with app.app_context():
        summary_id = session.scalar(select(TrainingSummary.id).join(Enrolment).where(
            Enrolment.user_id == user_id))
    return user_id, summary_id, browser


def test_trainers_approving_one_summary_at_once_approve_it_once_and_issue_one_certificate(
        app, live, tiny, make_user):
    tiny()
    trainers = [signed_in(live, make_user, "trainer")[1] for _ in range(N)]
    tokens = [trainer.token("/review/") for trainer in trainers]
    for _ in range(TRIALS):
        user_id, summary_id, trainee = _ready_for_approval(app, live, make_user)
        responses = race([partial(trainer.post, f"/review/summaries/{summary_id}",
                                  {"decision": "approve", "comment": "", "csrf_token": token})
                          for trainer, token in zip(trainers, tokens, strict=True)])
        assert_answered(responses, 302)
        with app.app_context():
            assert session.scalar(select(func.count(SummaryEvent.id)).where(
                SummaryEvent.summary_id == summary_id, SummaryEvent.action == "approved")) == 1
            assert session.scalar(select(func.count(Notice.id)).where(
                Notice.user_id == user_id, Notice.kind == "summary_approved")) == 1
            serials = session.scalars(select(Certificate.serial).where(Certificate.user_id == user_id)).all()
            assert len(serials) == 1
            assert session.scalar(select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "certificate.issue_failed")) == 0  # never deferred
        # the holder downloading it in several tabs: one audit entry each, the chain intact
        before = count(app, select(func.count(AuditEntry.id)))
        downloads = same_time(trainee, "get", f"/certificates/{serials[0]}.pdf")
        assert_answered(downloads, 200)
        # each is recorded once its last byte was sent, just after the client has it all
        deadline = time.monotonic() + 10
        while count(app, select(func.count(AuditEntry.id))) < before + N and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count(app, select(func.count(AuditEntry.id))) == before + N
    with app.app_context():
        assert verify_chain() == []


ASSIGNED_COURSE = """\
title: 指派课程
modules: [only]
enrolment:
  all_trainees: false
"""
ASSIGNED_MODULE = """\
---
title: 唯一单元
---
## 正文
遵守法律法规。
"""


def test_hr_assigning_a_course_twice_at_once_enrols_each_trainee_once(app, live, tmp_path, make_user):
    courses, quizzes = write_content(tmp_path / "assigned", "assigned",
                                     {"course.yml": ASSIGNED_COURSE, "01-only.md": ASSIGNED_MODULE}, {})
    import_content(app, courses, quizzes)
    hr_staff = [signed_in(live, make_user, "hr")[1] for _ in range(N)]
    tokens = [person.token("/hr/") for person in hr_staff]
    due_on = local_day(utcnow() + timedelta(days=30)).isoformat()
    for trial in range(TRIALS):
        department = f"催收{trial}部"
        trainees = [make_user("trainee", department=department).id for _ in range(2)]
        responses = race([partial(person.post, "/hr/courses/assigned/assign",
                                  {"departments": department, "due_on": due_on, "confirmed": "1",
                                   "enrol": trainees, "csrf_token": token})
                          for person, token in zip(hr_staff, tokens, strict=True)])
        assert_answered(responses, 302)
        with app.app_context():
            for user_id in trainees:
                assert session.scalar(select(func.count(Enrolment.id)).join(User).where(
                    User.id == user_id, Enrolment.source == "assigned")) == 1
                assert session.scalar(select(func.count(Notice.id)).where(
                    Notice.user_id == user_id, Notice.kind == "assigned")) == 1
    with app.app_context():
        assert verify_chain() == []


def _draft(app, kind: str, slug: str):
    from lms.authoring.models import Draft

    with app.app_context():
        return session.scalar(select(Draft).where(Draft.course_slug == "mini", Draft.kind == kind,
                                                  Draft.slug == slug))


def _autosaves(browser: Browser, texts: list[str], version: int | None, base: int = 1):
    token = browser.token("/author/mini/module/intro")
    tabs = [browser.tab() for _ in texts]
    return race([partial(tab.http.post, f"{browser.base}/author/mini/module/intro/draft",
                         json={"source": text, "base_number": base, "version": version},
                         headers={"X-CSRFToken": token}, timeout=30)
                 for tab, text in zip(tabs, texts, strict=True)])


def test_trainers_saving_one_draft_version_at_once_keep_one_and_are_told_of_the_other(
        app, live, mini, make_user):
    mini()
    _id, browser = signed_in(live, make_user, "trainer")
    for trial in range(TRIALS):
        texts = [MODULE + f"\n第{trial}轮，第{n}个标签页。\n" for n in range(N)]
        responses = _autosaves(browser, texts, version=None if trial == 0 else trial)
        assert_answered(responses, 200, 409)
        kept = [(r.json()["version"], text) for r, text in zip(responses, texts, strict=True)
                if r.status_code == 200]
        assert len(kept) == 1, [r.status_code for r in responses]  # the others saw a conflict
        draft = _draft(app, "module", "intro")
        assert (draft.version, draft.source) == kept[0] == (trial + 1, kept[0][1])
        assert all("diff" in r.json() for r in responses if r.status_code == 409)


def test_a_double_clicked_publish_publishes_once(app, live, mini, make_user):
    from lms.learning.models import Module, ModuleRevision

    mini()
    _id, browser = signed_in(live, make_user, "trainer")
    for trial in range(TRIALS):
        saved, = _autosaves(browser, [MODULE + f"\n第{trial}版。\n"], version=None, base=trial + 1)
        assert saved.status_code == 200
        token = browser.token("/author/mini/")
        responses = same_time(browser, "post", "/author/mini/publish",
                              {"csrf_token": token, "message": f"第{trial}版"})
        assert_answered(responses, 302)
        assert _draft(app, "module", "intro") is None
        assert count(app, select(func.count(ModuleRevision.id))
                     .join(Module, ModuleRevision.module_id == Module.id)
                     .where(Module.slug == "intro")) == trial + 2


def test_a_double_clicked_create_makes_one_draft_listed_once(app, live, mini, make_user):
    import yaml

    mini()
    _id, browser = signed_in(live, make_user, "trainer")
    for trial in range(TRIALS):
        slug = f"extra-{trial}"
        token = browser.token("/author/mini/new")
        responses = same_time(browser, "post", "/author/mini/new",
                              {"csrf_token": token, "kind": "module", "slug": slug,
                               "title": f"补充{trial}", "module": ""})
        assert_answered(responses, 302, 400)
        assert any(r.status_code == 302 for r in responses)
        assert _draft(app, "module", slug).version == 1
        listed = yaml.safe_load(_draft(app, "course", "mini").source)["modules"]
        assert listed.count(slug) == 1 and listed[-1] == slug


def test_tabs_opening_a_quiz_whose_time_ran_out_close_the_attempt_once(app, live, mini, make_user):
    mini()
    for _ in range(TRIALS):
        _user_id, browser = signed_in(live, make_user, "trainee")
        attempt_id, _token = _started(browser, "/courses/mini/quizzes/timed-quiz/")
        with app.app_context():
            attempt = session.get(QuizAttempt, attempt_id)
            attempt.deadline_at = utcnow() - timedelta(seconds=1)
            session.commit()
        responses = race([partial(tab.get, path) for tab, path in zip(
            [browser.tab() for _ in range(N)],
            ["/courses/mini/quizzes/timed-quiz/", f"/attempts/{attempt_id}"] * (N // 2), strict=True)])
        assert_answered(responses, 200, 302)
        with app.app_context():
            attempt = session.get(QuizAttempt, attempt_id)
            assert attempt.state == "graded" and attempt.submitted_at == attempt.deadline_at
            assert verify_chain() == []


def test_an_export_asked_for_in_several_tabs_at_once_is_made_once(app, live, mini, make_user, tmp_path):
    from lms.reports.models import Export

    mini()
    app.config["LMS_QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.db'}"  # waiting, as for a busy worker
    app.extensions.pop("lms.queue", None)
    for trial in range(TRIALS):
        user_id, browser = signed_in(live, make_user, "hr")
        token = browser.token("/hr/")
        path = f"/hr/courses/mini/exports/cohort_pdf?from=2026-01-0{trial + 1}&to=2026-01-31"
        responses = same_time(browser, "post", path, {"csrf_token": token})
        assert_answered(responses, 302)
        assert len({r.headers["Location"] for r in responses}) == 1  # all to the same export
        assert count(app, select(func.count(Export.id)).where(Export.requested_by_id == user_id)) == 1

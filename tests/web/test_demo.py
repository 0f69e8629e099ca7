"""`lms demo --trainees N`: demo trainees at every stage of a course, with real certificates."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from lms import demo
from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.assessments.models import QuizAttempt
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.certificates.signing import check_signature, signing_keys
from lms.db import session, utcnow
from lms.demo import rendering
from lms.learning import services as learning
from lms.learning.models import Enrolment
from lms.reports import hr

from ..conftest import PASSWORD, UserRef


def users(app) -> int:
    with app.app_context():
        return session.scalar(select(func.count()).select_from(User))


def test_every_block_of_trainees_holds_the_whole_mix():
    for seed in (1, 3):
        assert Counter(demo.state_of(seed, n) for n in range(1, 41)) == dict(demo.MIX)
        assert Counter(demo.state_of(seed, n) for n in range(41, 81)) == dict(demo.MIX)
    assert [demo.state_of(3, n) for n in range(1, 41)] != [demo.state_of(4, n) for n in range(1, 41)]


def test_demo_trainees_cover_every_status_with_consistent_records(app, runner, tiny, login):
    tiny()
    result = runner.invoke(args=["lms", "demo", "--trainees", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "created 40 demo trainees and 12 certificates" in result.output
    assert users(app) == 44  # and the four demo accounts

    with app.app_context():
        course, now = learning.get_course("tiny"), utcnow()
        rows = [row for row in hr.course_roster(course, now) if row.employee_no.startswith("D")]
        assert len(rows) == 40 and {row.status for row in rows} == set(hr.STATUSES)
        assert any(row.expiring(now, timedelta(days=90)) for row in rows)
        assert any(row.certificate_expires_at and row.certificate_expires_at <= now for row in rows)
        assert sum(row.certificate_revoked for row in rows) == 1
        for row in rows:
            enrolment = session.get(Enrolment, row.enrolment_id)
            status = learning.course_status(course, enrolment)
            met = all(r.is_met for r in certificates.requirements(status))
            current = certificates.current_certificate(enrolment)
            if row.certificate_revoked:  # counts as not completed until certified again
                assert row.status in (hr.IN_PROGRESS, hr.OVERDUE) and met and current.revoked_at is not None
                continue
            if row.status != hr.COMPLETED:  # nothing the app would complete on the next visit
                assert not met and current is None
                continue
            assert met and status.percent == 100
            assert session.scalar(select(func.count()).select_from(Certificate).where(
                Certificate.enrolment_id == enrolment.id)) == 1
            assert current.pdf.startswith(b"%PDF")
            assert hashlib.sha256(current.pdf).hexdigest() == current.sha256
            # the certificate records what issuing would have recorded
            assert current.score == certificates.overall_score(enrolment)
            assert current.course_versions == certificates.course_versions(enrolment, status)
            assert current.snapshot["holder_name"] == row.name and current.issued_at == enrolment.completed_at
            assert current.expires_at == certificates.add_months(current.issued_at, 12)
        done = next(row for row in rows if row.status == hr.COMPLETED)
        trainee = session.get(User, done.user_id)
        accounts.set_password(trainee, PASSWORD)
        attempt = session.scalar(select(QuizAttempt.id).where(QuizAttempt.enrolment_id == done.enrolment_id,
                                                              QuizAttempt.is_passed.is_(True)))
        session.commit()
        ref = UserRef(trainee.id, trainee.username, trainee.display_name)

    assert runner.invoke(args=["lms", "audit", "verify"]).exit_code == 0
    client = login(ref)
    for path in ("/", "/courses/tiny/", f"/attempts/{attempt}/review", "/courses/tiny/summary"):
        assert client.get(path).status_code == 200, path


def test_running_again_skips_existing_trainees_and_a_larger_number_tops_up(app, runner, tiny):
    tiny()
    assert runner.invoke(args=["lms", "demo", "--trainees", "6", "--seed", "3"]).exit_code == 0
    with app.app_context():
        names = dict(session.execute(select(User.employee_no, User.display_name)).all())
    again = runner.invoke(args=["lms", "demo", "--trainees", "6", "--seed", "3"])
    assert again.exit_code == 0 and "6 of D00001–D00006 exist already" in again.output
    assert users(app) == 10
    more = runner.invoke(args=["lms", "demo", "--trainees", "8", "--seed", "3"])
    assert more.exit_code == 0 and "created 2 demo trainees" in more.output
    with app.app_context():
        after = dict(session.execute(select(User.employee_no, User.display_name)).all())
    assert {no: name for no, name in after.items() if no in names} == names
    assert sorted(set(after) - set(names)) == ["D00007", "D00008"]
    assert runner.invoke(args=["lms", "audit", "verify"]).exit_code == 0


def test_demo_trainees_need_an_imported_course(app, runner):
    result = runner.invoke(args=["lms", "demo", "--trainees", "5"])
    assert result.exit_code == 1 and "lms import" in result.output
    assert users(app) == 0


def test_many_certificates_render_in_worker_processes(app, runner, tiny, monkeypatch):
    monkeypatch.setattr(rendering, "POOL_FROM", 1)
    assert any(demo.state_of(5, n) in demo.CERTIFIED for n in range(1, 11))
    tiny()
    result = runner.invoke(args=["lms", "demo", "--trainees", "10", "--seed", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        found = session.scalars(select(Certificate)).all()
        assert found and all(c.pdf.startswith(b"%PDF") for c in found)
        assert all(hashlib.sha256(c.pdf).hexdigest() == c.sha256 for c in found)
        keys = signing_keys(app)  # signed in the worker processes with the instance's key
        assert all(check_signature(c.pdf, keys).is_valid for c in found)
    assert runner.invoke(args=["lms", "audit", "verify"]).exit_code == 0

"""Completing a course issues its certificate (a job, run at once in tests); verification,
downloads, revocation, re-issuing, the command line and the audit log."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from lms.assessments.models import QuizAttempt
from lms.audit.models import AuditEntry
from lms.certificates.models import Certificate
from lms.db import session, utcnow

from ..answering import attempt_form
from ..conftest import csrf_token


def complete_course(client, app, make_user, login, name="王小明"):
    """As a trainee: read the module, pass the quiz, write the summary; a trainer approves it."""
    trainee = make_user("trainee", display_name=name, employee_no="E7001", department="催收一部")
    login(trainee)
    client.get("/courses/tiny/rules")
    client.post("/courses/tiny/rules/progress",
                data={"reached_end": "y", "csrf_token": csrf_token(client, "/")})
    start = client.post("/courses/tiny/quizzes/red-lines/start", data={"csrf_token": csrf_token(client, "/")})
    attempt = int(start.location.rsplit("/", 1)[1])
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, attempt))
    client.post(f"/attempts/{attempt}/submit", data={**form, "csrf_token": csrf_token(client, "/")})
    client.post("/courses/tiny/summary", data={"body": "我学会了合规催收的红线和方法。", "action": "submit",
                                               "csrf_token": csrf_token(client, "/")})
    assert Certificate_count(app) == 0  # the summary still waits for approval
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainer"))
    with app.app_context():
        from lms.assessments.models import TrainingSummary

        summary_id = session.query(TrainingSummary).one().id
    client.post(f"/review/summaries/{summary_id}", data={"decision": "approve", "comment": "",
                                                         "csrf_token": csrf_token(client, "/")})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    return trainee


def Certificate_count(app) -> int:  # noqa: N802
    with app.app_context():
        return session.query(Certificate).count()


@pytest.fixture
def issued(app, client, tiny, make_user, login):
    tiny()
    trainee = complete_course(client, app, make_user, login)
    with app.app_context():
        certificate = session.query(Certificate).one()
        return trainee, certificate.serial


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_completing_the_last_requirement_issues_the_certificate(app, client, issued, login):
    trainee, serial = issued
    with app.app_context():
        certificate = session.query(Certificate).one()
        assert certificate.enrolment.completed_at is not None
        assert certificate.snapshot["holder_name"] == "王小明"
        assert certificate.snapshot["employee_no"] == "E7001"
        assert certificate.score == 100.0
        assert certificate.course_versions["modules"]["rules"]["revision"] == 1
        assert "red-lines" in certificate.course_versions["activities"]
        assert (certificate.expires_at - certificate.issued_at).days in (365, 366)
        text = pdf_text(certificate.pdf)
        assert "王小明" in text and serial in text and "合规速成" in text
        assert session.query(AuditEntry).filter_by(action="certificate.issued").count() == 1
    login(trainee)
    page = client.get("/").get_data(as_text=True)
    assert f"/certificates/{serial}.pdf" in page and "有效" in page
    response = client.get(f"/certificates/{serial}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_only_the_holder_and_staff_may_download(app, client, issued, make_user, login):
    _, serial = issued
    login(make_user("trainee"))
    assert client.get(f"/certificates/{serial}.pdf").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("hr"))
    assert client.get(f"/certificates/{serial}.pdf").status_code == 200
    assert client.get("/certificates/CC-2000-XXXX-XXXX.pdf").status_code == 404


def test_verification_page_shows_status_and_a_masked_name(app, client, issued):
    _, serial = issued
    page = client.get(f"/verify/{serial}").get_data(as_text=True)
    assert "王**" in page and "王小明" not in page and "合规速成" in page and "有效" in page
    assert client.get("/verify/CC-2026-0000-0000").status_code == 404


def test_verification_statuses(app, client, issued, make_user):
    _, serial = issued
    with app.app_context():
        certificate = session.query(Certificate).one()
        certificate.expires_at = utcnow() + timedelta(days=10)
        session.commit()
    assert "即将到期" in client.get(f"/verify/{serial}").get_data(as_text=True)
    with app.app_context():
        session.query(Certificate).one().expires_at = utcnow() - timedelta(days=1)
        session.commit()
    assert "已过期" in client.get(f"/verify/{serial}").get_data(as_text=True)


def test_uploading_a_pdf_checks_it_is_unaltered(app, client, issued):
    _, serial = issued
    with app.app_context():
        pdf = session.query(Certificate).one().pdf
    from io import BytesIO

    token = csrf_token(client, "/verify/")
    good = client.post("/verify/", data={"pdf": (BytesIO(pdf), "cert.pdf"), "csrf_token": token},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert f"是证书 {serial} 的原件" in good or serial in good
    altered = pdf.replace(b"%%EOF", b"%%EOF\n% changed")
    bad = client.post("/verify/", data={"pdf": (BytesIO(altered), "cert.pdf"), "csrf_token": token},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "不是本系统签发的证书" in bad


def test_hr_revokes_after_confirming_and_the_public_page_keeps_the_reason_internal(
        app, client, issued, make_user, login):
    _, serial = issued
    login(make_user("hr"))
    url = f"/hr/certificates/{serial}"
    refused = client.post(url, data={"action": "revoke", "reason": " ",
                                     "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 400 and 'id="reason-errors"' in refused.get_data(as_text=True)
    asked = client.post(url, data={"action": "revoke", "reason": "违规催收被投诉",
                                   "csrf_token": csrf_token(client, url)})
    assert asked.status_code == 200 and 'data-testid="confirm-revoke"' in asked.get_data(as_text=True)
    with app.app_context():
        assert session.query(Certificate).one().revoked_at is None  # nothing until confirmed
    client.post(url, data={"action": "revoke", "reason": "违规催收被投诉", "confirmed": "1",
                           "csrf_token": csrf_token(client, url)})
    assert "违规催收被投诉" in client.get(url).get_data(as_text=True)  # HR sees the reason
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    page = client.get(f"/verify/{serial}").get_data(as_text=True)
    assert "已撤销" in page and "违规催收被投诉" not in page
    with app.app_context():
        entry = session.query(AuditEntry).filter_by(action="certificate.revoked").one()
        assert entry.details["reason"] == "违规催收被投诉"


def test_the_host_header_has_no_effect_on_a_certificate(app, client, tiny, make_user, login):
    tiny()
    client.environ_base["HTTP_HOST"] = "evil.example"
    complete_course(client, app, make_user, login)
    with app.app_context():
        certificate = session.query(Certificate).one()
        url = certificate.snapshot["verify_url"]
        assert url == f"https://training.example.com/verify/{certificate.serial}"
        assert "evil" not in pdf_text(certificate.pdf)


@pytest.mark.parametrize("app_config", [{"LMS_PUBLIC_URL": None}])
def test_without_a_public_url_nothing_is_issued_and_the_trainee_sees_pending(
        app, client, tiny, make_user, login):
    tiny()
    trainee = complete_course(client, app, make_user, login)
    assert Certificate_count(app) == 0
    with app.app_context():
        failure = session.query(AuditEntry).filter_by(action="certificate.issue_failed").one()
        assert "LMS_PUBLIC_URL is not set" in failure.details["error"]
    login(trainee)
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-testid="certificate-pending"' in page.get_data(as_text=True)
    app.config["LMS_PUBLIC_URL"] = "https://training.example.com"
    assert Certificate_count(app) == 0  # showing the dashboard issues nothing
    issued = app.test_cli_runner().invoke(args=["lms", "certificates", "issue-pending"])
    assert issued.exit_code == 0 and "1 of 1 pending certificate(s) issued" in issued.output
    assert "/certificates/" in client.get("/").get_data(as_text=True)
    assert Certificate_count(app) == 1


def test_reissue_supersedes_the_old_certificate(app, client, issued, make_user, login):
    trainee, serial = issued
    with app.app_context():
        from lms.accounts.models import User

        session.get(User, trainee.id).display_name = "王晓明"  # a name fix
        session.commit()
    login(make_user("hr"))
    url = f"/hr/certificates/{serial}"
    response = client.post(url, data={"action": "reissue", "csrf_token": csrf_token(client, url)})
    new_serial = response.location.rsplit("/", 1)[1]
    with app.app_context():
        old, new = (session.query(Certificate).filter_by(serial=s).one() for s in (serial, new_serial))
        assert old.superseded_by_id == new.id and old.snapshot["holder_name"] == "王小明"
        assert new.snapshot["holder_name"] == "王晓明" and new.expires_at == old.expires_at
    assert "已被替换" in client.get(f"/verify/{serial}").get_data(as_text=True)
    for action in ("revoke", "reenrol"):  # the replacement certifies: the replaced one stays as it is
        refused = client.post(url, data={"action": action, "reason": "违规", "confirmed": "1",
                                         "csrf_token": csrf_token(client, url)})
        assert refused.status_code == 400, action
    with app.app_context():
        old = session.query(Certificate).filter_by(serial=serial).one()
        assert old.revoked_at is None and not old.enrolment.is_archived
    assert "已被替换" in client.get(f"/verify/{serial}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(trainee)
    page = client.get("/").get_data(as_text=True)
    card, earlier = page.split('class="card past-certificates"')
    assert new_serial in card and serial not in card  # the course card shows the current one
    assert serial in earlier and new_serial not in earlier  # the replaced one is listed as earlier


def test_a_revoked_certificate_is_not_reissued(app, client, issued, make_user, login):
    """Revoking cannot be undone: re-issuing a revoked certificate, by a form sent anyway or a
    job queued before the revocation, makes no new certificate."""
    _trainee, serial = issued
    login(make_user("hr"))
    url = f"/hr/certificates/{serial}"
    client.post(url, data={"action": "revoke", "reason": "违规催收被投诉", "confirmed": "1",
                           "csrf_token": csrf_token(client, url)})
    page = client.get(url).get_data(as_text=True)
    assert 'value="reissue"' not in page
    refused = client.post(url, data={"action": "reissue", "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 400
    assert "已撤销的证书不能补发" in refused.get_data(as_text=True)
    with app.app_context():
        from lms.certificates import jobs

        certificate = session.query(Certificate).one()
        assert jobs.reissue_certificate(certificate.id) is None  # the job, run as the worker runs it
        session.commit()
        assert session.query(Certificate).count() == 1
        assert session.query(Certificate).one().superseded_by_id is None
    assert "已撤销" in client.get(f"/verify/{serial}").get_data(as_text=True)


def results_csv(client) -> list[list[str]]:
    text = client.get("/review/courses/tiny/results.csv").data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_trainer_s_results_say_the_certificate_s_status(app, client, issued, make_user, login):
    """The results page and its export say whether the certificate still counts, as HR's do."""
    _trainee, serial = issued
    login(make_user("trainer"))
    assert results_csv(client)[1][-2:] == [serial, "有效"]
    with app.app_context():
        session.query(Certificate).one().expires_at = utcnow() - timedelta(days=1)
        session.commit()
    page = client.get("/review/courses/tiny/").get_data(as_text=True)
    assert f"{serial} <span class=\"cert-status cert-status--expired\"" in page and "已过期" in page
    assert results_csv(client)[1][-2:] == [serial, "已过期"]


def test_command_line(app, runner, issued, tmp_path):
    _, serial = issued
    listing = runner.invoke(args=["lms", "certificates", "list"]).output
    assert serial in listing and "王小明" in listing and "valid" in listing
    assert "sha256:" in runner.invoke(args=["lms", "certificates", "show", serial]).output
    target = tmp_path / "c.pdf"
    assert runner.invoke(args=["lms", "certificates", "export", serial, "-o", str(target)]).exit_code == 0
    checked = runner.invoke(args=["lms", "certificates", "verify", str(target)])
    assert checked.exit_code == 0 and serial in checked.output and "valid" in checked.output
    target.write_bytes(target.read_bytes() + b"\n")
    assert runner.invoke(args=["lms", "certificates", "verify", str(target)]).exit_code == 1
    reissued = runner.invoke(args=["lms", "certificates", "reissue", serial])
    assert reissued.exit_code == 0 and "superseded by" in reissued.output
    new_serial = reissued.output.split("superseded by ")[1].split()[0]
    revoked = runner.invoke(args=["lms", "certificates", "revoke", new_serial, "--reason", "测试"])
    assert revoked.exit_code == 0
    assert "revoked" in runner.invoke(args=["lms", "certificates", "show", new_serial]).output
    refused = runner.invoke(args=["lms", "certificates", "reissue", new_serial])
    assert refused.exit_code == 1 and "revoked" in refused.output


def test_audit_verify_detects_edits_and_deletions(app, runner, issued):
    assert runner.invoke(args=["lms", "audit", "verify"]).exit_code == 0
    runner.invoke(args=["lms", "certificates", "revoke", issued[1], "--reason", "测试"])
    with app.app_context():
        entries = session.query(AuditEntry).order_by(AuditEntry.id).all()
        assert len(entries) >= 2
        entries[0].subject = "CC-FORGED"
        session.commit()
    result = runner.invoke(args=["lms", "audit", "verify"])
    assert result.exit_code == 1 and "edited" in result.output
    with app.app_context():
        session.query(AuditEntry).filter_by(subject="CC-FORGED").delete()
        session.commit()
    result = runner.invoke(args=["lms", "audit", "verify"])
    assert result.exit_code == 1 and "deleted" in result.output


def test_a_refresher_archives_the_earlier_cycle(app, client, runner, issued, make_user, login):
    trainee, serial = issued
    with app.app_context():
        certificate = session.query(Certificate).one()
        certificate.expires_at = expires_at = utcnow() + timedelta(days=20)
        session.commit()
    result = runner.invoke(args=["lms", "certificates", "recertify", "--within", "30"])
    assert "1 refresher enrolment(s) started" in result.output
    assert "0 refresher" in runner.invoke(args=["lms", "certificates", "recertify"]).output
    with app.app_context():
        from lms.learning.models import Enrolment, ModuleProgress

        old, new = session.query(Enrolment).filter_by(user_id=trainee.id).order_by(Enrolment.cycle).all()
        assert old.is_archived and old.completed_at is not None and not new.is_archived
        assert new.cycle == 2 and new.due_at == expires_at
        assert session.query(ModuleProgress).filter_by(enrolment_id=old.id).count() == 1  # kept
    login(trainee)
    page = client.get("/").get_data(as_text=True)
    assert "已完成 0%" in page  # the refresher starts afresh
    assert "往期证书" in page and serial in page.split('class="card past-certificates"')[1]
    assert 'data-kind="assigned"' in page and "你有一门新课程：“合规速成”，截止日期" in page  # and is told
    assert serial in page  # the earlier certificate stays readable
    assert client.get(f"/certificates/{serial}.pdf").status_code == 200
    assert "有效" in client.get(f"/verify/{serial}").get_data(as_text=True)


def test_a_certificate_of_the_earlier_cycle_still_shows_while_the_refresher_runs(
        app, client, runner, issued, make_user, login):
    """After a refresher starts, the holder's certificate of the earlier cycle still certifies them
    until it expires: HR's roster shows it, counts it as expiring and filters it so, and its
    "no certificate" selection (and ZIP) leaves the holder out (they all lost it)."""
    trainee, serial = issued
    with app.app_context():
        session.query(Certificate).one().expires_at = utcnow() + timedelta(days=20)
        session.commit()
    assert "1 refresher" in runner.invoke(args=["lms", "certificates", "recertify", "--within", "30"]).output
    login(make_user("hr"))
    roster = client.get("/hr/courses/tiny/").get_data(as_text=True)
    assert serial in roster and "即将到期" in roster
    assert serial in client.get("/hr/courses/tiny/?status=expiring").get_data(as_text=True)
    assert serial in client.get("/hr/courses/tiny/?certificate=expiring").get_data(as_text=True)
    assert "王小明" not in client.get("/hr/courses/tiny/?certificate=none").get_data(as_text=True)
    exported = client.get("/hr/courses/tiny/export.csv").data.decode("utf-8-sig")
    assert serial in exported and ",未开始," in exported  # the refresher itself is not begun
    with client.get("/hr/courses/tiny/certificates.zip?certificate=none") as none:
        assert serial not in " ".join(zipfile.ZipFile(io.BytesIO(none.data)).namelist())


def test_an_attempt_of_a_closed_cycle_is_kept_as_it_was(app, client, runner, issued, login):
    """An attempt left open in a tab when a refresher archived its cycle can no longer be
    answered, submitted or reviewed (answers would be scored into a closed record)."""
    trainee, _serial = issued
    login(trainee)
    start = client.post("/courses/tiny/quizzes/red-lines/start", data={"csrf_token": csrf_token(client, "/")})
    attempt_id = int(start.location.rsplit("/", 1)[1])
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, attempt_id))
        session.query(Certificate).one().expires_at = utcnow() + timedelta(days=20)
        session.commit()
    assert "1 refresher" in runner.invoke(args=["lms", "certificates", "recertify", "--within", "30"]).output
    token = csrf_token(client, "/")
    answers = [client.get(f"/attempts/{attempt_id}"), client.get(f"/attempts/{attempt_id}/review"),
               client.post(f"/attempts/{attempt_id}/save", data={**form, "csrf_token": token},
                           headers={"Accept": "application/json"}),
               client.post(f"/attempts/{attempt_id}/submit", data={**form, "csrf_token": token})]
    assert [answer.status_code for answer in answers] == [403] * 4
    assert "往期" in answers[0].get_data(as_text=True)
    with app.app_context():
        attempt = session.get(QuizAttempt, attempt_id)
        assert attempt.state == "in_progress" and attempt.score is None
        assert all(response.answer is None for response in attempt.responses)


def test_a_signed_in_user_can_look_a_certificate_up_by_number(client, issued, login):
    """The look-up counts against the address on the throttle's own connection: the request
    must not be holding SQLite's write lock meanwhile (it waited 30 s, then answered 503)."""
    trainee, serial = issued
    login(trainee)
    token = csrf_token(client, "/verify/")
    answer = client.post("/verify/", data={"serial": serial.lower(), "csrf_token": token})
    assert answer.status_code == 302 and answer.location.endswith(f"/verify/{serial}")


@pytest.mark.parametrize("app_config", [{"LMS_VERIFY_LIMIT": "3 per minute"}])
def test_verification_is_rate_limited(app, client, issued):
    _, serial = issued
    statuses = [client.get(f"/verify/{serial}").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


def test_a_course_can_bring_its_own_certificate_template(app, client, tmp_path, make_user, login):
    from ..conftest import import_content, write_content
    from .conftest import TINY_COURSE, TINY_MODULE, TINY_QUIZ

    courses, quizzes = write_content(tmp_path / "own", "tiny", {
        "course.yml": TINY_COURSE + "  template: certificate\n",
        "01-rules.md": TINY_MODULE,
        "certificate/certificate.html":
            '<html><head><link rel="stylesheet" href="style.css"></head><body>'
            '<h1>分行专用结业证书</h1><p>{{ snapshot.holder_name }} {{ snapshot.serial }}</p>'
            '<p>{{ snapshot.course_title }} {{ snapshot.verify_url }}</p></body></html>',
        "certificate/style.css": "@page { size: A4 landscape } body { font-family: 'Noto Sans CJK SC' }",
    }, {"red-lines.md": TINY_QUIZ})
    import_content(app, courses, quizzes)
    complete_course(client, app, make_user, login)
    with app.app_context():
        certificate = session.query(Certificate).one()
        text = pdf_text(certificate.pdf)
        assert "分行专用结业证书" in text and certificate.serial in text


def test_a_certificate_that_cannot_render_is_reported_and_issued_later(app, client, tiny, make_user,
                                                                       login):
    tiny()

    def make_user_with_legacy_name(*roles, **details):
        """A name stored before names were checked at entry: no font has U+E000."""
        user = make_user(*roles, **details)
        with app.app_context():
            from lms.accounts.models import User

            session.get(User, user.id).display_name = "王\ue000明"
            session.commit()
        return user

    trainee = complete_course(client, app, make_user_with_legacy_name, login)
    with app.app_context():
        assert session.query(Certificate).count() == 0
        enrolment = session.query(Certificate.enrolment_id).first()
        assert enrolment is None
    login(make_user("hr"))
    page = client.get("/hr/").get_data(as_text=True)
    assert 'data-testid="issue-failures"' in page and "MissingGlyphs" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with app.app_context():
        from lms.accounts.models import User

        session.get(User, trainee.id).display_name = "王小明"  # HR fixes the name
        session.commit()
    login(trainee)
    assert 'data-pending="error"' in client.get("/").get_data(as_text=True)
    # the job's retry (here: `lms certificates issue-pending`, as the worker does hourly)
    assert app.test_cli_runner().invoke(args=["lms", "certificates", "issue-pending"]).exit_code == 0
    assert "下载证书" in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert session.query(Certificate).one().snapshot["holder_name"] == "王小明"


# --- names, the PDF check and signatures --------------------------------------------------------

def test_a_name_with_cjk_extension_characters_gets_its_certificate(app, client, tiny, make_user, login):
    from lms.certificates.pdfcheck import read_pdf

    tiny()
    complete_course(client, app, make_user, login, name="𪚥𠔻明")
    with app.app_context():
        certificate = session.query(Certificate).one()
        facts = read_pdf(certificate.pdf)
        assert "𪚥𠔻明" in facts.text and any("HanaMin" in font for font in facts.fonts)
        assert facts.pages == 1 and not facts.unembedded


def test_a_certificate_whose_pdf_fails_the_check_is_never_issued(app, client, tmp_path, make_user, login):
    """A course template that leaves the serial out renders fine, but such a PDF is not issued."""
    from ..conftest import import_content, write_content
    from .conftest import TINY_COURSE, TINY_MODULE, TINY_QUIZ

    courses, quizzes = write_content(tmp_path / "own", "tiny", {
        "course.yml": TINY_COURSE + "  template: certificate\n",
        "01-rules.md": TINY_MODULE,
        "certificate/certificate.html":
            "<html><body style=\"font-family: 'Noto Sans CJK SC'\"><h1>结业证书</h1>"
            "<p>{{ snapshot.holder_name }} {{ snapshot.course_title }} {{ snapshot.verify_url }}</p>"
            "</body></html>",
    }, {"red-lines.md": TINY_QUIZ})
    import_content(app, courses, quizzes)
    trainee = complete_course(client, app, make_user, login)
    assert Certificate_count(app) == 0
    with app.app_context():
        failure = session.query(AuditEntry).filter_by(action="certificate.issue_failed").first()
        assert "CertificatePdfInvalid" in failure.details["error"] and "serial" in failure.details["error"]
    login(trainee)
    page = client.get("/")
    assert page.status_code == 200 and 'data-testid="certificate-pending"' in page.get_data(as_text=True)
    assert Certificate_count(app) == 0


def _upload(client, pdf: bytes) -> str:
    from io import BytesIO

    token = csrf_token(client, "/verify/")
    return client.post("/verify/", data={"pdf": (BytesIO(pdf), "cert.pdf"), "csrf_token": token},
                       content_type="multipart/form-data").get_data(as_text=True)


def test_a_signed_certificate_verifies_both_ways(app, client, runner, issued, tmp_path):
    _, serial = issued
    with app.app_context():
        pdf = session.query(Certificate).one().pdf
    page = _upload(client, pdf)
    assert 'data-status="valid"' in page and 'data-status="match"' in page and serial in page
    target = tmp_path / "c.pdf"
    target.write_bytes(pdf)
    checked = runner.invoke(args=["lms", "certificates", "verify", str(target)])
    assert checked.exit_code == 0 and "signature: valid" in checked.output and "verified" in checked.output
    assert (Path(app.instance_path) / "signing_key.pem").is_file()
    signer = runner.invoke(args=["lms", "certificates", "signer"])
    assert signer.exit_code == 0 and "BEGIN CERTIFICATE" in signer.output and "sha256:" in signer.output


def test_a_changed_byte_fails_the_signature_and_the_record(app, client, runner, issued, tmp_path):
    with app.app_context():
        pdf = session.query(Certificate).one().pdf
    position = pdf.index(b"stream", len(pdf) // 4) + 20
    altered = pdf[:position] + bytes([pdf[position] ^ 1]) + pdf[position + 1:]
    page = _upload(client, altered)
    assert 'data-status="broken"' in page and 'data-status="none"' in page and "不是本系统签发的证书" in page
    target = tmp_path / "c.pdf"
    target.write_bytes(altered)
    checked = runner.invoke(args=["lms", "certificates", "verify", str(target)])
    assert checked.exit_code == 1 and "signature and record check failed" in checked.output


def test_a_file_that_is_no_signed_pdf_is_not_said_to_be_altered(client, issued):
    """Another kind of file, a damaged PDF or a PDF that was never signed: the page says what it
    is, not that someone changed it after signing."""
    import weasyprint

    unsigned = weasyprint.HTML(string="<p>证书</p>").write_pdf()
    for data, status, words in ((b"hello", "unreadable", "不是可以读取的 PDF"),
                                (b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF", "unreadable", "不是可以读取的 PDF"),
                                (unsigned, "missing", "此 PDF 没有签名")):
        page = _upload(client, data)
        assert f'data-status="{status}"' in page and words in page and "签名后被改动" not in page


def test_a_stored_pdf_replaced_with_its_hash_fails_the_signature_check(app, client, runner, issued, tmp_path):
    """Someone with database access swaps in a PDF signed with another key and updates the hash
    column: the record matches, the signature does not, and both say so."""
    import hashlib
    from dataclasses import replace

    from lms.certificates.render import issue_pdf
    from lms.certificates.signing import instance_keys
    from lms.certificates.snapshot import CertificateSnapshot

    _, serial = issued
    with app.app_context():
        certificate = session.query(Certificate).one()
        forged_snapshot = replace(CertificateSnapshot.from_json(certificate.snapshot), score=100.0,
                                  holder_name="冒名顶替")
        forged = issue_pdf(forged_snapshot, instance_keys(tmp_path / "elsewhere", "信用卡催收培训中心"))
        certificate.pdf, certificate.sha256 = forged, hashlib.sha256(forged).hexdigest()
        session.commit()
    page = _upload(client, forged)
    assert 'data-status="untrusted"' in page and 'data-status="match"' in page
    assert "不是本系统签发的证书" in page and "签名：不是由本系统的密钥签署的" in page
    exported = runner.invoke(args=["lms", "certificates", "export", serial, "-o", str(tmp_path / "x.pdf")])
    assert exported.exit_code == 0
    checked = runner.invoke(args=["lms", "certificates", "verify", str(tmp_path / "x.pdf")])
    assert checked.exit_code == 1 and "signature: untrusted" in checked.output
    assert f"record:    {serial}" in checked.output and "(signature check failed)" in checked.output


# --- the keyring and certificates stored before signing ------------------------------------------

def _verify(runner, path: Path, pdf: bytes):
    path.write_bytes(pdf)
    return runner.invoke(args=["lms", "certificates", "verify", str(path)])


def test_after_a_key_rotation_old_and_new_certificates_verify(app, client, runner, issued, tmp_path):
    _, serial = issued
    with app.app_context():
        old_pdf = session.query(Certificate).one().pdf
    rotated = runner.invoke(args=["lms", "certificates", "rotate-key"])
    assert rotated.exit_code == 0 and "retired:" in rotated.output, rotated.output
    assert len(list((Path(app.instance_path) / "signing" / "archive").glob("*.pem"))) == 1

    old = _verify(runner, tmp_path / "old.pdf", old_pdf)
    assert old.exit_code == 0 and "signature: valid" in old.output and "key:       retired" in old.output
    page = _upload(client, old_pdf)
    assert 'data-status="valid"' in page and "已停用的密钥" in page

    reissued = runner.invoke(args=["lms", "certificates", "reissue", serial])
    new_serial = reissued.output.split()[-1]
    with app.app_context():
        new_pdf = session.query(Certificate).filter_by(serial=new_serial).one().pdf
    new = _verify(runner, tmp_path / "new.pdf", new_pdf)
    assert new.exit_code == 0 and "key:       current" in new.output
    assert "also trusted: retired" in runner.invoke(args=["lms", "certificates", "signer"]).output

    position = old_pdf.index(b"stream", len(old_pdf) // 4) + 20
    altered = old_pdf[:position] + bytes([old_pdf[position] ^ 1]) + old_pdf[position + 1:]
    assert _verify(runner, tmp_path / "altered.pdf", altered).exit_code == 1
    with app.app_context():
        assert session.query(AuditEntry).filter_by(action="certificates.key_rotated").count() == 1


def test_a_certificate_stored_before_signing_is_signed_in_place(app, client, runner, issued, tmp_path):
    import hashlib

    from lms.certificates.render import render_certificate
    from lms.certificates.snapshot import CertificateSnapshot

    _, serial = issued
    with app.app_context():  # as stored before certificates were signed
        certificate = session.query(Certificate).one()
        legacy = render_certificate(CertificateSnapshot.from_json(certificate.snapshot))
        certificate.pdf, certificate.sha256 = legacy, hashlib.sha256(legacy).hexdigest()
        session.commit()
    unsigned = _verify(runner, tmp_path / "legacy.pdf", legacy)
    assert unsigned.exit_code == 1 and "signature: unsigned (issued before signing)" in unsigned.output
    assert "颁发于启用电子签名之前" in _upload(client, legacy)

    signed = runner.invoke(args=["lms", "certificates", "sign", "--all-unsigned"])
    assert signed.exit_code == 0 and "1 certificate(s) signed" in signed.output, signed.output
    with app.app_context():
        certificate = session.query(Certificate).one()
        pdf, sha256 = certificate.pdf, certificate.sha256
        entry = session.query(AuditEntry).filter_by(action="certificate.signed", subject=serial).one()
    assert pdf.startswith(legacy) and len(pdf) > len(legacy)  # an incremental update
    assert sha256 == hashlib.sha256(pdf).hexdigest()
    assert entry.details == {"old_sha256": hashlib.sha256(legacy).hexdigest(), "sha256": sha256}
    assert _verify(runner, tmp_path / "signed.pdf", pdf).exit_code == 0
    assert _verify(runner, tmp_path / "legacy.pdf", legacy).exit_code == 1  # the old bytes: no record now
    again = runner.invoke(args=["lms", "certificates", "sign", serial])
    assert again.exit_code == 0 and "already signed" in again.output

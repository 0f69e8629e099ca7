"""`lms remind`: due-date and expiry reminders and the HR digest, sent once each to a real SMTP
server on loopback; and ``due_notices`` for the dashboard."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.db import session
from lms.learning.models import Course, Enrolment
from lms.reminders.models import ReminderSent
from lms.reminders.services import DUE, EXPIRY, due_notices
from lms.reports.hr import end_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
HR_ADDRESSES = ["hr@example.com", "boss@example.com"]


@dataclass(frozen=True)
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def body(self) -> str:
        return self.message.get_body(("plain",)).get_content()


class Inbox:
    """An SMTP handler that keeps what arrives and refuses the addresses in ``refuse`` (550)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: set[str] = set()
        self.port = 0

    async def handle_RCPT(self, server, smtp_session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, smtp_session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(sorted(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def take(self) -> list[Received]:
        taken, self.received = self.received, []
        return taken


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def app_config(inbox) -> dict:
    return {"LMS_MAIL_SERVER": "127.0.0.1", "LMS_MAIL_PORT": inbox.port,
            "LMS_MAIL_FROM": "training@bank.example", "LMS_MAIL_HR": ", ".join(HR_ADDRESSES),
            "LMS_PUBLIC_URL": "https://training.example.com"}


@pytest.fixture
def remind(runner):
    def run(now: str, *options: str, exit_code: int = 0):
        result = runner.invoke(args=["lms", "remind", "--now", now, *options])
        assert result.exit_code == exit_code, result.output
        return result.output

    return run


def trainee(app, make_user, email: str | None, due_on: date | None, course: str = "tiny", **details) -> int:
    """A trainee with this email, due in ``course`` at the end of ``due_on`` and in no other course;
    returns the enrolment's id."""
    ref = make_user("trainee", **details)
    with app.app_context():
        session.get(User, ref.id).email = email
        found = None
        for enrolment in session.query(Enrolment).filter_by(user_id=ref.id):
            if enrolment.course.slug == course:
                found, enrolment.due_at = enrolment, end_of_day(due_on) if due_on else None
            else:
                enrolment.due_at = None
        session.commit()
        return found.id


def sent_rows(app) -> set[tuple[str, int, str]]:
    with app.app_context():
        return {(r.kind, r.subject_id, r.step) for r in session.query(ReminderSent)}


def test_due_date_reminders_go_once_at_7_days_1_day_and_overdue(app, tiny, make_user, inbox, remind):
    tiny()
    enrolment = trainee(app, make_user, "wang@example.com", date(2026, 12, 8), display_name="王小明",
                        employee_no="E7001", department="催收一部")

    remind("2026-11-30T09:00")
    assert inbox.take() == []

    output = remind("2026-12-01T09:00")
    [mail] = inbox.take()
    assert mail.recipients == ["wang@example.com"]
    assert mail.message["From"] == "training@bank.example"
    assert mail.message.get_content_charset() == "utf-8"
    assert mail.subject == "【培训提醒】《合规速成》将于 2026-12-08 截止，还剩 7 天"
    assert "王小明" in mail.body and "《合规速成》" in mail.body and "2026-12-08" in mail.body
    assert "https://training.example.com/courses/tiny/" in mail.body
    assert "sent: 1 due-date, 0 certificate expiry, 0 HR digest" in output

    remind("2026-12-01T09:00")
    remind("2026-12-03T09:00")
    assert inbox.take() == []  # the 7-day step has gone; the next is 1 day before

    remind("2026-12-07T09:00")
    [mail] = inbox.take()
    assert "明天" in mail.subject and "2026-12-08" in mail.subject
    remind("2026-12-08T22:00")  # still due today: the 1-day step has gone
    assert inbox.take() == []

    remind("2026-12-09T08:00")
    overdue, digest = inbox.take()
    assert overdue.recipients == ["wang@example.com"] and "逾期" in overdue.subject
    assert digest.recipients == sorted(HR_ADDRESSES)
    assert "王小明，工号 E7001，部门 催收一部，截止日期 2026-12-08（逾期 1 天）" in digest.body

    remind("2026-12-09T18:00")
    assert inbox.take() == []  # one digest a day, one overdue reminder ever
    remind("2026-12-10T08:00")
    [digest] = inbox.take()
    assert digest.recipients == sorted(HR_ADDRESSES) and "逾期 2 天" in digest.body

    assert sent_rows(app) == {("due", enrolment, "7d"), ("due", enrolment, "1d"),
                              ("due", enrolment, "overdue"), ("hr_digest", 0, "2026-12-09"),
                              ("hr_digest", 0, "2026-12-10")}


def test_hr_digest_lists_overdue_trainees_by_course_and_skips_trainees_without_email(
        app, tiny, mini, make_user, inbox, remind):
    tiny()
    mini()
    trainee(app, make_user, "zhou@example.com", date(2026, 12, 5), display_name="周敏", employee_no="E9001",
            department="催收二部")
    trainee(app, make_user, None, date(2026, 12, 6), display_name="吴刚", employee_no="E9002",
            department="催收一部")
    trainee(app, make_user, "li@example.com", date(2026, 12, 20), display_name="李雷", employee_no="E9003")
    trainee(app, make_user, "han@example.com", date(2026, 12, 4), course="mini", display_name="韩梅",
            employee_no="E9004", department="催收三部")

    output = remind("2026-12-10T09:00")
    received = inbox.take()
    assert sorted(r.recipients[0] for r in received if len(r.recipients) == 1) == [
        "han@example.com", "zhou@example.com"]
    [digest] = [r for r in received if r.recipients == sorted(HR_ADDRESSES)]
    assert digest.subject == "【培训逾期汇总】2026-12-10：3 人次逾期未完成培训"
    tiny_part, mini_part = digest.body.split("《合规速成》")[1].split("《迷你课程》")
    assert tiny_part.index("吴刚") < tiny_part.index("周敏")  # by department
    assert "吴刚，工号 E9002，部门 催收一部，截止日期 2026-12-06（逾期 4 天）" in digest.body
    assert "韩梅，工号 E9004，部门 催收三部" in mini_part and "韩梅" not in tiny_part
    assert "李雷" not in digest.body
    assert "https://training.example.com/hr/courses/tiny/?status=overdue" in digest.body
    assert "skipped (no email): 吴刚 (E9002) due overdue, 合规速成" in output
    assert "sent: 2 due-date, 0 certificate expiry, 1 HR digest; skipped (no email): 1; failed: 0" in output

    output = remind("2026-12-10T10:00")
    assert inbox.take() == [] and "skipped (no email): 1" in output  # not recorded: asked again


def test_a_refused_recipient_is_reported_and_retried_on_the_next_run(app, tiny, make_user, inbox, remind):
    tiny()
    good = trainee(app, make_user, "good@example.com", date(2026, 12, 8))
    bad = trainee(app, make_user, "bad@example.com", date(2026, 12, 8))
    inbox.refuse.add("bad@example.com")

    output = remind("2026-12-01T09:00", exit_code=1)
    assert [r.recipients for r in inbox.take()] == [["good@example.com"]]
    assert "failed due 7d to bad@example.com" in output and "550" in output
    assert "sent: 1 due-date, 0 certificate expiry, 0 HR digest; skipped (no email): 0; failed: 1" in output
    assert sent_rows(app) == {("due", good, "7d")}

    inbox.refuse.clear()
    remind("2026-12-02T09:00")
    assert [r.recipients for r in inbox.take()] == [["bad@example.com"]]
    assert sent_rows(app) == {("due", good, "7d"), ("due", bad, "7d")}


def test_a_digest_refused_by_one_hr_address_still_counts_as_sent(app, tiny, make_user, inbox, remind):
    tiny()
    trainee(app, make_user, None, date(2026, 12, 8), display_name="吴刚")
    inbox.refuse.add("boss@example.com")

    output = remind("2026-12-09T09:00", exit_code=1)
    [digest] = inbox.take()
    assert digest.recipients == ["hr@example.com"] and "吴刚" in digest.body
    assert "failed hr_digest 2026-12-09" in output and "boss@example.com: 550" in output
    remind("2026-12-09T10:00")
    assert inbox.take() == [] and sent_rows(app) == {("hr_digest", 0, "2026-12-09")}


def _certificate(app, enrolment_id: int, expires_on: date, serial: str | None = None, **fields) -> int:
    with app.app_context():
        enrolment = session.get(Enrolment, enrolment_id)
        enrolment.completed_at = datetime(2026, 3, 1, tzinfo=UTC)
        serial = serial or f"CC-2026-TEST-{enrolment_id:04d}"
        certificate = Certificate(
            serial=serial, enrolment_id=enrolment.id, user_id=enrolment.user_id,
            course_id=enrolment.course_id, snapshot={"holder_name": enrolment.user.display_name},
            course_versions={}, pdf=b"%PDF-1.7", sha256=serial.ljust(64, "0"),
            issued_at=datetime(2026, 3, 1, tzinfo=UTC), expires_at=end_of_day(expires_on), **fields)
        session.add(certificate)
        session.commit()
        return certificate.id


def _next_cycle(app, enrolment_id: int) -> int:
    """The holder's refresher: the earlier cycle archived, a new enrolment (one certificate each)."""
    with app.app_context():
        old = session.get(Enrolment, enrolment_id)
        old.is_archived = True
        fresh = Enrolment(user_id=old.user_id, course_id=old.course_id, cycle=old.cycle + 1,
                          source="refresher", enrolled_at=datetime(2026, 2, 1, tzinfo=UTC))
        session.add(fresh)
        session.commit()
        return fresh.id


def test_certificate_expiry_reminders_at_60_30_and_7_days(app, tiny, make_user, inbox, remind):
    tiny()
    holder = trainee(app, make_user, "zhou@example.com", None, display_name="周敏")
    certificate = _certificate(app, holder, date(2027, 3, 1))
    revoked = trainee(app, make_user, "revoked@example.com", None)
    _certificate(app, revoked, date(2027, 3, 1), revoked_at=datetime(2026, 6, 1, tzinfo=UTC),
                 revoked_reason="违规")
    renewed = trainee(app, make_user, "renewed@example.com", None)
    _certificate(app, renewed, date(2027, 3, 1))
    _certificate(app, _next_cycle(app, renewed), date(2028, 2, 1), serial="CC-2027-RENEWED")  # trained again

    expected = {"2026-12-30": None, "2026-12-31": "60", "2027-01-15": None, "2027-01-30": "30",
                "2027-02-20": None, "2027-02-22": "7", "2027-02-28": None, "2027-03-02": None}
    for now, days in expected.items():
        remind(f"{now}T09:00")
        remind(f"{now}T10:00")  # the same day again sends nothing
        received = inbox.take()
        if days is None:
            assert received == [], now
            continue
        [mail] = received
        assert mail.recipients == ["zhou@example.com"]
        assert mail.subject == f"【证书到期提醒】《合规速成》培训证书将于 2027-03-01 到期，还剩 {days} 天"
        assert "周敏" in mail.body and f"CC-2026-TEST-{holder:04d}" in mail.body
    assert sent_rows(app) == {("expiry", certificate, "60d"), ("expiry", certificate, "30d"),
                              ("expiry", certificate, "7d")}


def test_without_a_server_only_a_dry_run_works(app, tiny, make_user, inbox, runner):
    tiny()
    trainee(app, make_user, "wang@example.com", date(2026, 12, 8), display_name="王小明")
    trainee(app, make_user, None, date(2026, 12, 8), display_name="吴刚")
    app.config["LMS_MAIL_SERVER"] = None

    result = runner.invoke(args=["lms", "remind", "--now", "2026-12-01T09:00"])
    assert result.exit_code == 1 and "LMS_MAIL_SERVER is not set" in result.output

    result = runner.invoke(args=["lms", "remind", "--now", "2026-12-01T09:00", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would send due 7d to wang@example.com: 【培训提醒】《合规速成》" in result.output
    assert "skipped (no email): 吴刚" in result.output
    assert "dry run: would send 1 due-date, 0 certificate expiry, 0 HR digest" in result.output
    assert inbox.take() == [] and sent_rows(app) == set()

    result = runner.invoke(args=["lms", "remind", "--now", "next tuesday", "--dry-run"])
    assert result.exit_code == 2 and "--now" in result.output


def test_an_unreachable_server_sends_and_records_nothing(app, tiny, make_user, remind):
    tiny()
    trainee(app, make_user, "wang@example.com", date(2026, 12, 8))
    app.config["LMS_MAIL_PORT"] = _free_port()  # nothing listens there
    output = remind("2026-12-01T09:00", exit_code=1)
    assert "cannot connect" in output and sent_rows(app) == set()


def test_due_notices_are_what_a_trainee_would_be_reminded_of_today(app):
    course = Course(slug="tiny", title="合规速成")
    user = User(username="wang", display_name="王小明")
    now = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)

    def enrolment(id_: int, due_at: datetime | None, completed: bool = False) -> Enrolment:
        return Enrolment(id=id_, user=user, course=course, due_at=due_at, is_archived=False,
                         completed_at=now if completed else None)

    def certificate(id_: int, expires_at: datetime, revoked: bool = False) -> Certificate:
        return Certificate(id=id_, serial=f"CC-{id_}", user=user, course=course, expires_at=expires_at,
                           revoked_at=now if revoked else None, superseded_by_id=None)

    def local(day: int, month: int = 12, hour: int = 23) -> datetime:
        return datetime(2026 + (month > 12), (month - 1) % 12 + 1, day, hour, tzinfo=SHANGHAI)

    enrolments = [
        enrolment(1, local(8)),  # 7 days
        enrolment(2, local(2)),  # tomorrow
        enrolment(3, local(30, 11)),  # overdue
        enrolment(4, local(20)),  # not yet
        enrolment(5, local(2), completed=True),
        enrolment(6, local(1, hour=18)),  # later today
        enrolment(7, None),
        enrolment(8, datetime(2026, 12, 8, 17, tzinfo=UTC)),  # 12-09 01:00 in Shanghai: 8 days
    ]
    certificates = [
        certificate(11, local(30, 13)),  # 2027-01-30: 60 days
        certificate(12, local(31)),  # 30 days
        certificate(13, local(31), revoked=True),
        certificate(14, local(30, 11)),  # expired
        certificate(15, local(5, 14)),  # 2027-02-05: 66 days
    ]
    with app.app_context():
        notices = due_notices(enrolments, certificates, now)
    assert [(n.kind, n.subject_id, n.step, n.days_left) for n in notices] == [
        (DUE, 3, "overdue", -1), (DUE, 6, "1d", 0), (DUE, 2, "1d", 1), (DUE, 1, "7d", 7),
        (EXPIRY, 12, "30d", 30), (EXPIRY, 11, "60d", 60)]
    assert notices[0].on == date(2026, 11, 30) and notices[-1].serial == "CC-11"
    assert notices[0].course is course and notices[0].user is user

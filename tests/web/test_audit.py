"""The audit log: readable for admins, exported raw, re-checked from the CSV alone, and anchored
outside the database so that a rewritten or truncated chain is caught."""

from __future__ import annotations

import pytest

from lms.audit.chain import entry_hash
from lms.audit.models import AuditEntry
from lms.audit.services import record
from lms.db import session

from .test_reminders import inbox  # noqa: F401  (the SMTP server fixture)


@pytest.fixture
def logged(app, make_user):
    """A few entries, with Chinese text and values a spreadsheet would take for formulas."""
    hr = make_user("hr", display_name="人事 小周")
    with app.app_context():
        from lms.accounts.models import User

        actor = session.get(User, hr.id)
        record("certificate.issued", "CC-2026-AAAA-BBBB", None,
               {"holder": "王小明", "employee_no": "E7001", "course": "credit-card-collection"})
        record("certificate.revoked", "CC-2026-AAAA-BBBB", actor, {"reason": "违规催收被投诉"})
        record("course.assigned", "=HYPERLINK(\"http://x\")", actor,
               {"departments": ["催收一部", "催收二部"], "due_on": "2027-01-31"})
        record("employees.imported", "'quoted", actor, {"created": 3, "updated": 0})
        session.commit()
    return hr


def rewrite_chain(app, change) -> None:
    """What an attacker with database access does: edit an entry, then re-hash every entry after."""
    with app.app_context():
        rows = session.query(AuditEntry).order_by(AuditEntry.id).all()
        change(rows)
        prev = "0" * 64
        for row in rows:
            row.prev_hash = prev
            row.hash = entry_hash(prev, row.created_at, row.actor_id, row.actor_name, row.action,
                                  row.subject, row.details)
            prev = row.hash
        session.commit()


def test_admins_read_actions_and_details_in_their_language(app, client, logged, make_user, login):
    login(make_user("admin"))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "证书已撤销" in page and "违规催收被投诉" in page and "王小明" in page
    assert "\\u" not in page and "催收一部、催收二部" in page
    filtered = client.get("/admin/audit?action=certificate.revoked").get_data(as_text=True)
    assert "违规催收被投诉" in filtered and "王小明" not in filtered


def test_the_csv_keeps_raw_values_and_the_chain_is_rechecked_from_it(app, client, runner, logged,
                                                                     make_user, login, tmp_path):
    login(make_user("admin"))
    exported = client.get("/admin/audit?format=csv")
    text = exported.data.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header == "id,created_at,actor_id,actor_name,action,subject,details,prev_hash,hash"
    assert "certificate.revoked" in text and "违规催收被投诉" in text
    assert "'=HYPERLINK" in text  # a spreadsheet shows it as text, not a formula
    path = tmp_path / "audit.csv"
    path.write_bytes(exported.data)
    result = runner.invoke(args=["lms", "audit", "verify", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "the CSV is intact" in result.output
    path.write_text(text.replace("违规催收被投诉", "个人原因"), encoding="utf-8")
    result = runner.invoke(args=["lms", "audit", "verify", "--csv", str(path)])
    assert result.exit_code == 1 and "edited" in result.output
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "audit", "verify", "--csv", str(path)])
    assert result.exit_code == 2 and "not an audit log CSV" in result.output


def test_an_anchor_catches_a_recomputed_chain(app, runner, logged, tmp_path):
    anchor = tmp_path / "anchors.txt"
    written = runner.invoke(args=["lms", "audit", "anchor", "-o", str(anchor)])
    assert written.exit_code == 0 and "lms-audit-anchor count=5 " in written.output  # 4 + the HR role

    def soften(rows):
        rows[1].details = {"reason": "个人原因"}

    rewrite_chain(app, soften)
    plain = runner.invoke(args=["lms", "audit", "verify"])
    assert plain.exit_code == 0  # the chain alone cannot tell
    result = runner.invoke(args=["lms", "audit", "verify", "--anchor", str(anchor)])
    assert result.exit_code == 1 and "rewritten" in result.output


def test_an_anchor_catches_a_truncated_tail(app, runner, logged, tmp_path):
    anchor = tmp_path / "anchors.txt"
    runner.invoke(args=["lms", "audit", "anchor", "-o", str(anchor)])
    with app.app_context():
        last = session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
        session.delete(last)
        session.commit()
    assert runner.invoke(args=["lms", "audit", "verify"]).exit_code == 0  # a shorter chain still holds
    result = runner.invoke(args=["lms", "audit", "verify", "--anchor", str(anchor)])
    assert result.exit_code == 1 and "truncated" in result.output
    with app.app_context():
        record("user.roles", "someone", None, {"roles": ["trainee"]})  # the log goes on after the anchor
        session.commit()
    assert runner.invoke(args=["lms", "audit", "verify", "--anchor", str(anchor)]).exit_code == 1


def test_a_log_that_grew_after_the_anchor_still_agrees(app, runner, logged, tmp_path):
    anchor = tmp_path / "anchors.txt"
    runner.invoke(args=["lms", "audit", "anchor", "-o", str(anchor)])
    with app.app_context():
        record("user.roles", "someone", None, {"roles": ["trainee"]})
        session.commit()
    result = runner.invoke(args=["lms", "audit", "verify", "--anchor", str(anchor)])
    assert result.exit_code == 0 and "agrees with the anchor" in result.output


@pytest.fixture
def app_config(inbox) -> dict:  # noqa: F811
    return {"LMS_MAIL_SERVER": "127.0.0.1", "LMS_MAIL_PORT": inbox.port,
            "LMS_MAIL_FROM": "training@bank.example"}


def test_the_anchor_can_be_emailed(app, runner, logged, inbox):  # noqa: F811
    result = runner.invoke(args=["lms", "audit", "anchor", "--mail", "auditor@bank.example"])
    assert result.exit_code == 0, result.output
    [message] = inbox.take()
    assert message.recipients == ["auditor@bank.example"]
    assert "lms-audit-anchor count=5 " in message.body

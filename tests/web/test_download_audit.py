"""A download enters the audit log once it has been sent in full: one cut off on the way (the
client gone, the worker killed) is not recorded as made."""

from __future__ import annotations

from lms.audit.services import entries
from lms.certificates.models import Certificate
from lms.db import session

from ..conftest import csrf_token
from .test_certificates import complete_course

EXPORTS = [
    ("/hr/courses/tiny/export.csv", "export.csv"),
    ("/hr/courses/tiny/export.xlsx", "export.xlsx"),
    ("/hr/courses/tiny/certificates.zip", "export.certificates_zip"),
    ("/hr/courses/tiny/audit-bundle.zip?from=2020-01-01&to=2099-12-31", "export.audit_bundle"),
    ("/hr/courses/tiny/report.pdf", "report.cohort"),
    ("/review/courses/tiny/results.csv", "export.results_csv"),
    ("/admin/audit?format=csv", "export.audit_csv"),
]


def recorded(app, action: str) -> int:
    with app.app_context():
        return sum(1 for entry in entries(action) if entry.action == action)


def test_downloads_are_recorded_only_when_sent_in_full(app, client, tiny, make_user, login, monkeypatch):
    from lms.reports import summaries

    monkeypatch.setattr(summaries, "report_pdf", lambda html: b"%PDF-1.7 stub")  # not about rendering
    monkeypatch.setattr(summaries, "render_report_pdf", lambda *args, **kwargs: b"%PDF-1.7 stub")
    tiny()
    holder = complete_course(client, app, make_user, login)
    with app.app_context():
        serial = session.query(Certificate).one().serial
        enrolment_id = session.query(Certificate).one().enrolment_id
    login(holder)
    downloads = [(f"/certificates/{serial}.pdf", "certificate.downloaded"),
                 (f"/reports/enrolments/{enrolment_id}.pdf", "report.trainee")]
    for url, action in downloads:
        response = client.get(url, buffered=False)
        assert int(response.headers["Content-Length"]) > 10
        response.close()  # nothing read: the worker died before sending
        assert client.head(url).status_code == 200  # a HEAD sends nothing either
        assert recorded(app, action) == 0, url
        assert client.get(url).data.startswith(b"%PDF")
        assert recorded(app, action) == 1, url
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(make_user("admin"))
    for url, action in EXPORTS:
        response = client.get(url, buffered=False)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-store"
        if ".csv" in url or "format=csv" in url:  # one charset, as a spreadsheet program reads it
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url
        body = iter(response.response)
        assert next(body)  # the first bytes went out, then the connection broke
        response.close()
        assert recorded(app, action) == 0, url
        whole = client.get(url)
        assert whole.status_code == 200 and whole.data
        assert recorded(app, action) == 1, url


def test_a_downloads_entry_is_written_in_a_transaction_of_its_own(app, client, make_user, login,
                                                                  database):
    """The export only read; its audit entry, written once the last byte went out, begins its own
    transaction with SQLite's write lock (a reading transaction cannot always be upgraded)."""
    from ..conftest import counted_queries

    login(make_user("admin"))
    with counted_queries(app) as statements:
        response = client.get("/admin/audit?format=csv")
        assert response.status_code == 200 and response.data  # read to the last byte
    insert = next(i for i, s in enumerate(statements)
                  if s.lstrip().upper().startswith("INSERT INTO LMS_AUDIT"))
    begins = [s.strip().upper() for s in statements[:insert] if s.strip().upper().startswith("BEGIN")]
    if database.backend == "sqlite":
        assert begins[-1] == "BEGIN IMMEDIATE", statements[:insert]
    assert recorded(app, "export.audit_csv") == 1

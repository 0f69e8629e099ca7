"""Background jobs: the certificate issued by a worker (once, even when a worker dies
mid-render), HR's exports prepared as files, bulk certificate work queued from the CLI."""

from __future__ import annotations

import io
import os
import select
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from lms.audit.models import AuditEntry
from lms.certificates.models import Certificate
from lms.db import session, utcnow
from lms.learning.models import Enrolment

from ..conftest import csrf_token
from .test_certificates import complete_course


def certificates(app) -> list[Certificate]:
    with app.app_context():
        return list(session.query(Certificate).order_by(Certificate.id))


# --- the certificate ------------------------------------------------------------------------

@pytest.fixture
def queued(app, tmp_path):
    """A queue nobody works on: what is enqueued waits (as with a worker that is not running)."""
    app.config["LMS_QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.db'}"
    app.extensions.pop("lms.queue", None)
    return tmp_path / "queue.db"


def test_the_trainee_sees_the_certificate_being_generated_then_issued(app, client, runner, queued, tiny,
                                                                      make_user, login):
    from lms.jobs import queue

    tiny()
    trainee = complete_course(client, app, make_user, login)
    assert certificates(app) == []
    with app.app_context():
        assert session.query(Enrolment).one().completed_at is not None  # the completion is recorded
        assert queue(app).pending_count() == 1
    login(trainee)
    for page in (client.get("/").get_data(as_text=True), client.get("/courses/tiny/").get_data(as_text=True)):
        assert 'data-pending="rendering"' in page and "证书生成中" in page
        assert '<meta http-equiv="refresh" content="5">' in page
    issued = runner.invoke(args=["lms", "certificates", "issue-pending"])
    assert issued.exit_code == 0 and "1 of 1" in issued.output
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="certificate"' in page and 'http-equiv="refresh"' not in page


def test_issuing_twice_issues_once(app, client, tiny, make_user, login):
    from lms.certificates.jobs import issue_certificate

    tiny()
    complete_course(client, app, make_user, login)
    [first] = certificates(app)
    with app.app_context():
        assert issue_certificate(first.enrolment_id) is None  # a repeated job: nothing more
        session.commit()
        copy = session.get(Certificate, first.id)
        twin = Certificate(serial="CC-2026-TWIN-0000", enrolment_id=copy.enrolment_id, user_id=copy.user_id,
                           course_id=copy.course_id, snapshot=copy.snapshot, course_versions={}, pdf=b"%PDF",
                           sha256="0" * 64, issued_at=utcnow())
        session.add(twin)
        with pytest.raises(IntegrityError):  # two racing workers: the database keeps one
            session.flush()
        session.rollback()
    assert len(certificates(app)) == 1


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_worker_killed_mid_render_loses_nothing(app, client, queued, tiny, make_user, login):
    """A real `lms worker`, killed while it renders; the next one issues the certificate, once."""
    tiny()
    complete_course(client, app, make_user, login)
    env = {**os.environ, "LMS_INSTANCE_PATH": app.instance_path,
           "LMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "LMS_QUEUE_URL": f"sqlite:///{queued}",
           "LMS_PUBLIC_URL": app.config["LMS_PUBLIC_URL"], "LMS_SECRET_KEY": "test secret"}
    lms = Path(sys.executable).with_name("lms")
    def start(stderr=subprocess.DEVNULL) -> subprocess.Popen:
        return subprocess.Popen([str(lms), "worker", "--workers", "1"], env=env, stdout=subprocess.DEVNULL,
                                stderr=stderr, text=True, start_new_session=True)

    def wait_for_line(process: subprocess.Popen, text: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stderr], [], [], 0.1)
            if ready and text in process.stderr.readline():
                return True
        return False

    def wait_for(condition, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return False

    worker = start(subprocess.PIPE)
    try:
        assert wait_for_line(worker, "Executing lms.certificates.jobs.issue_certificate", 30)
        os.killpg(worker.pid, signal.SIGKILL)  # a cold worker renders for seconds: killed mid-render
        worker.wait(10)
        worker.stderr.close()
        killed_before_issuing = certificates(app) == []
        worker = start()  # re-enqueues pending completions on start
        assert wait_for(lambda: certificates(app) != [], 60)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    assert killed_before_issuing, "the first worker finished before it was killed"
    [certificate] = certificates(app)
    with app.app_context():
        issued = session.query(AuditEntry).filter_by(action="certificate.issued").count()
    assert issued == 1 and certificate.superseded_by_id is None


# --- bulk certificate work from the command line --------------------------------------------

def test_bulk_reissue_runs_as_jobs(app, client, runner, tiny, make_user, login):
    tiny()
    complete_course(client, app, make_user, login)
    [old] = certificates(app)
    result = runner.invoke(args=["lms", "certificates", "reissue", "--course", "tiny", "--enqueue"])
    assert result.exit_code == 0 and "1 re-issue(s) queued" in result.output
    first, second = certificates(app)
    assert first.id == old.id and first.superseded_by_id == second.id
    again = runner.invoke(args=["lms", "certificates", "reissue", old.serial, "--enqueue"])
    assert again.exit_code == 0 and len(certificates(app)) == 2  # superseded already: a no-op


# --- HR's exports ---------------------------------------------------------------------------

def _start(client, url: str, data: dict | None = None):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, "/hr/")})


def test_hr_prepares_a_certificate_zip_follows_it_and_downloads_it(app, client, tiny, make_user, login):
    tiny()
    complete_course(client, app, make_user, login)
    hr = make_user("hr")
    login(hr)
    course_page = client.get("/hr/courses/tiny/").get_data(as_text=True)
    assert "/hr/courses/tiny/exports/certificates_zip" in course_page
    started = _start(client, "/hr/courses/tiny/exports/certificates_zip?department=催收一部")
    assert started.status_code == 302
    page_url = started.location
    page = client.get(page_url).get_data(as_text=True)
    assert 'data-testid="export-download"' in page and "export.js" in page and "<script>" not in page
    progress = client.get(page_url + ".json").get_json()
    assert progress["state"] == "done" and progress["percent"] == 100 and progress["download_url"]
    with app.app_context():
        assert not session.query(AuditEntry).filter_by(action="export.certificates_zip").count()
    with client.get(progress["download_url"]) as download:  # a file response: closed after reading
        assert download.status_code == 200 and download.mimetype == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(download.data))
    [pdf] = [name for name in archive.namelist() if name.endswith(".pdf")]
    assert "王小明" in pdf and "manifest.csv" in archive.namelist()
    with app.app_context():
        entry = session.query(AuditEntry).filter_by(action="export.certificates_zip").one()
        assert entry.details["filters"] == {"department": "催收一部"} and entry.actor_id == hr.id
    assert page_url.rsplit("/", 1)[1] in client.get("/hr/exports/").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("hr"))  # another HR person: the link is not theirs
    assert client.get(progress["download_url"]).status_code == 404
    assert client.get(page_url + ".json").status_code == 404


def test_expired_exports_are_gone_and_their_files_removed(app, client, tiny, make_user, login):
    from lms.reports.exports import file_of, remove_expired_exports
    from lms.reports.models import Export

    tiny()
    login(make_user("hr"))
    today = utcnow().date()
    started = _start(client, "/hr/courses/tiny/exports/audit_bundle",
                     {"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat()})
    link = client.get(started.location + ".json").get_json()["download_url"]
    with client.get(link) as download:
        assert download.status_code == 200 and download.data.startswith(b"PK")
    with app.app_context():
        export = session.query(Export).one()
        path = file_of(export)
        assert path.is_file() and export.file_name.startswith("audit-tiny-")
        assert remove_expired_exports(utcnow()) == 0
        assert remove_expired_exports(utcnow() + timedelta(days=8)) == 1
        session.commit()
        assert not path.exists()
    assert client.get(link).status_code == 410


def test_exports_are_checked_before_they_are_queued(app, client, tiny, make_user, login):
    tiny()
    login(make_user("hr"))
    assert _start(client, "/hr/courses/tiny/exports/audit_bundle").status_code == 400  # no period
    assert _start(client, "/hr/courses/nope/exports/cohort_pdf").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainer"))
    assert _start(client, "/hr/courses/tiny/exports/certificates_zip").status_code == 403
    assert _start(client, "/hr/courses/tiny/exports/cohort_pdf").status_code == 302
    from lms.reports.models import Export

    with app.app_context():
        export = session.query(Export).one()
        assert export.state == "done" and export.file_name.startswith("training-statistics-tiny-")


def test_an_export_a_stopped_worker_left_is_made_on_the_next_start(app, client, queued, tiny, make_user,
                                                                   login):
    from lms.reports.exports import file_of, make_export, unfinished_exports
    from lms.reports.models import Export

    tiny()
    login(make_user("hr"))
    page = client.get(_start(client, "/hr/courses/tiny/exports/certificates_zip").location)
    assert "排队中" in page.get_data(as_text=True)  # nobody works on this queue
    with app.app_context():
        export = session.query(Export).one()
        export.state = "running"  # taken by a worker that was then stopped
        session.commit()
        assert unfinished_exports() == [export.id]  # what `lms worker` queues when it starts
        make_export(export.id)
        session.commit()
        export = session.get(Export, export.id)
        assert export.state == "done" and file_of(export).is_file() and unfinished_exports() == []
        assert not list(file_of(export).parent.glob("*.part"))


def test_the_same_export_asked_twice_is_made_once_and_a_person_waits_after_five(
        app, client, queued, tiny, make_user, login):
    """A double click or a second tab gets the export already being made; a sixth different one
    waits until one of the five is ready (each is a render the worker does in turn)."""
    from lms.reports.exports import MAX_UNFINISHED
    from lms.reports.models import Export

    tiny()
    login(make_user("hr"))
    first, again = (_start(client, "/hr/courses/tiny/exports/certificates_zip?department=催收一部")
                    for _ in range(2))
    assert first.location == again.location
    for day in range(2, MAX_UNFINISHED + 1):  # different periods: different exports
        period = {"from": f"2026-01-0{day}", "to": "2026-01-31"}
        assert "/hr/exports/" in _start(client, "/hr/courses/tiny/exports/audit_bundle", period).location
    refused = _start(client, "/hr/courses/tiny/exports/cohort_pdf")
    assert refused.location.endswith("/hr/exports/")
    assert "5 个导出" in client.get(refused.location).get_data(as_text=True)
    with app.app_context():
        assert session.query(Export).count() == MAX_UNFINISHED
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("hr"))  # someone else's exports do not count against theirs
    assert _start(client, "/hr/courses/tiny/exports/cohort_pdf").location != refused.location


def test_an_export_renders_without_holding_up_the_site_s_writers(app, client, queued, tiny, make_user,
                                                                 login, monkeypatch):
    """While the worker renders an export's PDF, a trainee's write goes through at once: the job
    only reads then, and takes SQLite's write lock just to record its progress."""
    from lms.reports import summaries
    from lms.reports.exports import make_export
    from lms.reports.models import Export
    from lms.transaction import immediate

    database = app.config["SQLALCHEMY_DATABASE_URI"]
    if not database.startswith("sqlite:///"):
        pytest.skip("SQLite's write lock")
    tiny()
    login(make_user("trainer"))
    _start(client, "/hr/courses/tiny/exports/cohort_pdf")
    render, writes = summaries.report_pdf, []

    def render_while_someone_writes(html: str) -> bytes:
        writes.append(someone_writes(database))
        return render(html)

    monkeypatch.setattr(summaries, "report_pdf", render_while_someone_writes)
    with app.app_context(), immediate():  # as the worker runs a job
        export_id = session.query(Export.id).scalar()
        make_export(export_id)
        session.commit()
        assert session.get(Export, export_id).state == "done"
    assert writes == ["went through"]


def someone_writes(database: str) -> str:
    """Another connection takes SQLite's write lock at once, or fails ("database is locked")."""
    import sqlite3

    other = sqlite3.connect(database.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return "went through"
    finally:
        other.close()


def test_a_certificate_renders_without_holding_up_the_site_s_writers(app, client, runner, queued, tiny,
                                                                     make_user, login, monkeypatch):
    """Issuing and re-issuing render (about 0.3 s each, thousands in a bulk re-issue) while the
    site's writes go through; storing the certificate takes the write lock for a moment."""
    from lms.certificates import jobs, services
    from lms.transaction import immediate

    database = app.config["SQLALCHEMY_DATABASE_URI"]
    if not database.startswith("sqlite:///"):
        pytest.skip("SQLite's write lock")
    tiny()
    complete_course(client, app, make_user, login)
    render, writes = services.render, []

    def render_while_someone_writes(snapshot, course):
        writes.append(someone_writes(database))
        return render(snapshot, course)

    monkeypatch.setattr(services, "render", render_while_someone_writes)
    with app.app_context():
        enrolment_id = session.query(Enrolment.id).scalar()
        session.commit()
        with immediate():  # as the worker runs a job: nothing begun before it
            serial = jobs.issue_certificate(enrolment_id)
            session.commit()
        certificate_id = session.query(Certificate.id).filter_by(serial=serial).scalar()
        session.commit()
        with immediate():
            new_serial = jobs.reissue_certificate(certificate_id)
            session.commit()
        assert session.query(Certificate).filter_by(serial=serial).one().superseded_by_id is not None
        assert session.query(Certificate).filter_by(serial=new_serial).one().superseded_by_id is None
    command = runner.invoke(args=["lms", "certificates", "reissue", new_serial])  # the command, too
    assert command.exit_code == 0 and f"{new_serial} superseded by" in command.output
    assert writes == ["went through"] * 3

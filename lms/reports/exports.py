"""HR's large exports as jobs: certificate ZIPs, audit bundles and the cohort report PDF.

HR asks (``request_export``), the worker writes the file into the instance folder's
``exports/`` with its progress on the record (``make_export``), HR downloads it from a link
until it expires (``LMS_EXPORT_DAYS``), and the worker removes expired files daily.
"""

from __future__ import annotations

import secrets
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select

from ..accounts.models import User
from ..db import locked, session, utcnow
from ..jobs import enqueue_after_commit, job
from ..learning.models import Course
from ..params import parse_day
from ..transaction import deferred, immediate
from . import hr, roster, summaries
from .archives import ArchiveFile, certificate_files, course_certificates, with_manifest
from .models import DONE, FAILED, QUEUED, RUNNING, Export
from .spreadsheets import write_csv

CERTIFICATES_ZIP, AUDIT_BUNDLE, COHORT_PDF = "certificates_zip", "audit_bundle", "cohort_pdf"
KINDS = (CERTIFICATES_ZIP, AUDIT_BUNDLE, COHORT_PDF)
EXPIRED = "expired"
PROGRESS_EVERY = 50  # files between progress commits


# --- what an export contains (shared with the direct downloads) -----------------------------

def certificates_archive(course: Course, args: Mapping[str, str], now: datetime):
    """(file name, certificate entries, files) of the certificate ZIP the filters select."""
    people = roster.selected_people(course, roster.filter_of(args), now)
    include_all = args.get("include") == "all"
    entries = course_certificates(course, now, user_ids=set(people),
                                  include_all=include_all)
    name = f"{course.slug}-certificates{'-all' if include_all else ''}-{now:%Y%m%d}.zip"
    return name, entries, with_manifest(certificate_files(entries))


def audit_bundle(course: Course, period: hr.Period, now: datetime):
    """(file name, certificate entries, files) of the auditor's bundle for ``period``; the
    report's PDF is rendered when the files are consumed, after the first one."""
    completed = [row for row in hr.course_roster(course, now, period) if row.completed_at in period]
    entries = course_certificates(course, now, issued_in=period, include_all=True)
    html = render_template("lms/reports/cohort.html", **summaries.cohort_report(course, now, period))
    completions = ArchiveFile(f"completions-{period.tag}.csv",
                              write_csv(hr.export_headers(course), hr.export_rows(completed)))

    def files() -> Iterator[ArchiveFile]:  # a streamed download outlives the request's session
        yield completions
        yield ArchiveFile(f"{summaries.COHORT_REPORT_TITLE}-{period.tag}.pdf", summaries.report_pdf(html))
        yield from certificate_files(entries, folder="certificates/")

    return f"audit-{course.slug}-{period.tag}.zip", entries, with_manifest(files(), period)


def cohort_pdf(course: Course, period: hr.Period | None, now: datetime) -> tuple[str, bytes]:
    data = summaries.render_report_pdf("lms/reports/cohort.html",
                                       **summaries.cohort_report(course, period=period, statistics=True))
    suffix = period.tag if period else f"{now:%Y%m%d}"
    return f"training-statistics-{course.slug}-{suffix}.pdf", data


def period_of(args: Mapping[str, str]) -> hr.Period | None:
    first, last = parse_day(args.get("from")), parse_day(args.get("to"))
    return hr.Period(first, last) if first and last else None


# --- the export records and their files -----------------------------------------------------

def exports_dir() -> Path:
    return Path(current_app.instance_path) / "exports"


def file_of(export: Export) -> Path:
    return exports_dir() / f"{export.token}.bin"


#: exports one person may have waiting or in the making at once
MAX_UNFINISHED = 5


class TooManyExports(Exception):
    pass


def request_export(kind: str, course: Course, params: Mapping[str, str], actor: User,
                   now: datetime | None = None) -> Export:
    """Record HR's request; the worker makes the file once the request's transaction commits.

    The same export asked again (a double click, a second tab) while the first is still being
    made is that export; a person with MAX_UNFINISHED exports unfinished waits for one of them
    (``TooManyExports``): each is a render the worker does, one after the other."""
    if kind not in KINDS:
        raise ValueError(kind)
    locked(User, actor.id)  # PostgreSQL: one request of this person's at a time sees the others' rows
    unfinished = list(session.scalars(select(Export).where(
        Export.requested_by_id == actor.id, Export.state.in_((QUEUED, RUNNING)))
        .order_by(Export.id.desc())))
    same = next((e for e in unfinished if e.kind == kind and e.course_id == course.id
                 and e.params == dict(params)), None)
    if same is not None:
        return same
    if len(unfinished) >= MAX_UNFINISHED:
        raise TooManyExports()
    export = Export(token=secrets.token_urlsafe(32), kind=kind, course_id=course.id, params=dict(params),
                    requested_by_id=actor.id, created_at=now or utcnow())
    session.add(export)
    session.flush()
    enqueue_after_commit(make_export, export.id)
    return export


def find_export(token: str, user: User) -> Export | None:
    """The export behind a link, for the person who asked for it only."""
    return session.scalar(select(Export).where(Export.token == token, Export.requested_by_id == user.id))


def recent_exports(user: User, limit: int = 20) -> list[Export]:
    return list(session.scalars(select(Export).where(Export.requested_by_id == user.id)
                                .order_by(Export.id.desc()).limit(limit)))


def downloadable(export: Export, now: datetime | None = None) -> bool:
    return (export.state == DONE and export.expires_at is not None and export.expires_at > (now or utcnow())
            and file_of(export).is_file())


@job(retries=2, retry_delay=30)
def make_export(export_id: int) -> None:
    """Write the export's file, committing its progress as it goes; a failure removes the
    partial file and is retried (the record says failed until a retry succeeds)."""
    export = session.get(Export, export_id)
    if export is None or export.state in (DONE, EXPIRED):
        return
    export.state, export.done, export.error = RUNNING, 0, None
    session.commit()
    target = file_of(export)
    partial = target.with_name(f"{target.stem}.{secrets.token_hex(4)}.part")  # one per run, then renamed
    target.parent.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    base = current_app.config.get("LMS_PUBLIC_URL") or "http://localhost"
    try:
        with current_app.test_request_context("/", base_url=base), deferred():  # templates: URLs, the locale
            file_name = _write(export, partial, now)
            session.commit()  # ends the last reading transaction: what follows writes
        partial.replace(target)
    except Exception as error:
        session.rollback()
        partial.unlink(missing_ok=True)
        export = session.get(Export, export_id)
        export.state, export.error = FAILED, f"{type(error).__name__}: {error}"[:500]
        session.commit()
        raise
    export.file_name = file_name
    export.state, export.done, export.size = DONE, export.total, target.stat().st_size
    export.finished_at = utcnow()
    export.expires_at = export.finished_at + timedelta(days=current_app.config["LMS_EXPORT_DAYS"])


def _write(export: Export, partial: Path, now: datetime) -> str:
    """Write the file (reading only, in ``deferred`` transactions) and return its name; the
    progress goes on the record in short writes of its own."""
    course, params = export.course, export.params
    if export.kind == COHORT_PDF:
        _record(export, total=1)
        name, data = cohort_pdf(course, period_of(params), now)
        partial.write_bytes(data)
        return name
    if export.kind == CERTIFICATES_ZIP:
        name, entries, files = certificates_archive(course, params, now)
        _record(export, total=len(entries) + 1)
    else:
        period = period_of(params)
        if period is None:
            raise ValueError("an audit bundle needs a period")
        name, entries, files = audit_bundle(course, period, now)
        _record(export, total=len(entries) + 3)
    _zip(files, partial, export)
    return name


def _record(export: Export, **values: int) -> None:
    """Set ``values`` on the export in a transaction of their own, which holds the write lock
    only for the update: the reading one around it ends first."""
    session.commit()  # nothing is pending: this ends the reading transaction
    with immediate():
        for name, value in values.items():
            setattr(export, name, value)
        session.commit()


def _zip(files: Iterable[tuple[str, bytes]], path: Path, export: Export) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for count, (name, data) in enumerate(files, start=1):
            archive.writestr(name, data)
            if count % PROGRESS_EVERY == 0:
                _record(export, done=count)


@job(retries=0, every={"hour": "3", "minute": "41"})
def remove_expired_exports(now: datetime | None = None) -> int:
    """Delete the files of expired exports (the records stay, marked expired) and leftovers
    of interrupted ones; daily in the worker."""
    now = now or utcnow()
    expired = list(session.scalars(select(Export).where(Export.state.in_((DONE, FAILED)),
                                                        Export.expires_at <= now)))
    stale = list(session.scalars(select(Export).where(
        Export.state.in_((QUEUED, RUNNING, FAILED)), Export.expires_at.is_(None),
        Export.created_at <= now - timedelta(days=current_app.config["LMS_EXPORT_DAYS"]))))
    for export in expired + stale:
        file_of(export).unlink(missing_ok=True)
        export.state = EXPIRED
    session.flush()
    for partial in exports_dir().glob("*.part"):  # left by a worker stopped mid-export
        if partial.stat().st_mtime < (now - timedelta(days=1)).timestamp():
            partial.unlink(missing_ok=True)
    return len(expired) + len(stale)


def unfinished_exports(now: datetime | None = None) -> list[int]:
    """Exports asked for in the last day and not finished: a stopped worker took their jobs."""
    since = (now or utcnow()) - timedelta(days=1)
    return list(session.scalars(select(Export.id).where(Export.state.in_((QUEUED, RUNNING)),
                                                        Export.created_at > since)))


__all__ = ["AUDIT_BUNDLE", "CERTIFICATES_ZIP", "COHORT_PDF", "DONE", "EXPIRED", "FAILED", "KINDS",
           "QUEUED", "RUNNING", "Export", "make_export", "remove_expired_exports", "request_export"]

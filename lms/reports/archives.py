"""ZIP archives streamed a file at a time, the stored certificate PDFs that fill them, and the
manifest every archive carries."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..certificates.models import Certificate, CertificateStatus, certificate_status
from ..db import session
from ..learning.models import Course
from .hr import Period, local_day
from .spreadsheets import write_csv

BATCH = 200  # certificates loaded per query: the PDFs are large
MANIFEST = "manifest.csv"
MANIFEST_HEADERS = ["文件", "证书编号", "姓名", "工号", "部门", "证书状态", "签发日期", "有效期至",
                    "撤销日期", "SHA-256"]


class _Chunks(io.RawIOBase):
    """A write-only stream that hands out what was written since it last asked."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def stream_zip(files: Iterable[tuple[str, bytes]]) -> Iterator[bytes]:
    """A ZIP of ``(name, data)`` pairs, yielded as each file is added (no whole archive in memory)."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data in files:
            archive.writestr(name, data)
            yield sink.take()
    yield sink.take()


@dataclass(frozen=True)
class CertificateEntry:
    """A certificate as an archive lists it: what its PDF says and its status at the export."""

    id: int
    serial: str
    snapshot: dict[str, Any]
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    status: CertificateStatus


def course_certificates(course: Course, now: datetime, *, user_ids: Collection[int] | None = None,
                        issued_in: Period | None = None, include_all: bool = False) -> list[CertificateEntry]:
    """The course's certificates (of these holders, issued in this period), oldest first: only the
    currently valid ones unless ``include_all`` adds the revoked, replaced and expired ones."""
    query = (select(Certificate.id, Certificate.serial, Certificate.snapshot, Certificate.issued_at,
                    Certificate.expires_at, Certificate.revoked_at, Certificate.superseded_by_id,
                    Certificate.user_id)
             .where(Certificate.course_id == course.id).order_by(Certificate.issued_at, Certificate.id))
    if issued_in is not None:
        query = query.where(Certificate.issued_at > issued_in.start, Certificate.issued_at <= issued_in.end)
    wanted = set(user_ids) if user_ids is not None else None
    found = []
    for row in session.execute(query):
        if wanted is not None and row.user_id not in wanted:
            continue
        status = certificate_status(row.revoked_at, row.superseded_by_id, row.expires_at, now)
        if include_all or status.is_current:
            found.append(CertificateEntry(row.id, row.serial, row.snapshot, row.issued_at, row.expires_at,
                                          row.revoked_at, status))
    return found


@dataclass(frozen=True)
class ArchiveFile:
    name: str
    data: bytes
    certificate: CertificateEntry | None = None


def certificate_files(entries: list[CertificateEntry], folder: str = "") -> Iterator[ArchiveFile]:
    """The stored PDFs, named serial_status_holder.pdf (CC-2026-…_已撤销_王小明.pdf); nothing is
    re-rendered."""
    labels = CertificateStatus.record_labels()
    for start in range(0, len(entries), BATCH):
        batch = entries[start:start + BATCH]
        pdfs = dict(session.execute(select(Certificate.id, Certificate.pdf)
                                    .where(Certificate.id.in_([entry.id for entry in batch]))).all())
        for entry in batch:
            holder = _safe(entry.snapshot["holder_name"])
            name = f"{folder}{entry.serial}_{labels[entry.status]}_{holder}.pdf"
            yield ArchiveFile(name, pdfs[entry.id], entry)


def with_manifest(files: Iterable[ArchiveFile], period: Period | None = None) -> Iterator[tuple[str, bytes]]:
    """Each file, then ``manifest.csv``: one row per file with its SHA-256 and, for a certificate,
    its serial, holder, 工号, department, status, issued, expiry and revocation dates. An audit
    bundle's manifest starts each row with its period."""
    labels = CertificateStatus.record_labels()
    rows: list[list[object]] = []
    for file in files:
        yield file.name, file.data
        entry = file.certificate
        certificate = ([entry.serial, entry.snapshot["holder_name"], entry.snapshot.get("employee_no"),
                        entry.snapshot.get("department"), labels[entry.status], local_day(entry.issued_at),
                        local_day(entry.expires_at), local_day(entry.revoked_at)]
                       if entry is not None else [None] * 8)
        rows.append([file.name, *certificate, hashlib.sha256(file.data).hexdigest()])
    if period is not None:
        headers = ["统计期间", *MANIFEST_HEADERS]
        rows = [[f"{period.first.isoformat()}至{period.last.isoformat()}", *row] for row in rows]
    else:
        headers = MANIFEST_HEADERS
    yield MANIFEST, write_csv(headers, rows)


def _safe(name: str) -> str:
    """A name that stays one file name in any unzip tool."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip() or "_"

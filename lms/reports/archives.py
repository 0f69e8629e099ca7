"""ZIP archives streamed a file at a time, and the stored certificate PDFs that fill them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

from sqlalchemy import select

from ..certificates.models import Certificate
from ..db import session

BATCH = 200  # certificates loaded per query: the PDFs are large


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


def certificate_files(serials: list[str], folder: str = "") -> Iterator[tuple[str, bytes]]:
    """The stored PDFs of these certificates, named 工号-姓名-serial.pdf; nothing is re-rendered."""
    for start in range(0, len(serials), BATCH):
        batch = session.execute(select(Certificate.serial, Certificate.snapshot, Certificate.pdf)
                                .where(Certificate.serial.in_(serials[start:start + BATCH]))).all()
        for serial, snapshot, pdf in batch:
            number = snapshot.get("employee_no") or "no-number"
            yield f"{folder}{number}-{snapshot['holder_name']}-{serial}.pdf", pdf

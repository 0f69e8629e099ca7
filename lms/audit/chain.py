"""The audit log's hash chain as plain data: hashing an entry, writing the log as CSV, and checking
a chain from the CSV alone, so an auditor can re-check it without the application's database.

Each entry's hash is SHA-256 of the JSON array ``[prev_hash, created_at, actor_id, actor_name,
action, subject, details]`` (UTF-8, keys sorted, no spaces, ``created_at`` in ISO 8601 with
microseconds); the first entry's ``prev_hash`` is 64 zeros.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
CSV_COLUMNS = ["id", "created_at", "actor_id", "actor_name", "action", "subject", "details",
               "prev_hash", "hash"]
#: Text starting with one of these is written with a leading ' so that a spreadsheet shows it as
#: text, not a formula; reading the CSV back removes exactly one leading '.
_QUOTED_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "'", "＝", "＋", "－", "＠")


def canonical_details(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, created_at: datetime | str, actor_id: int | None, actor_name: str,
               action: str, subject: str, details: dict[str, Any]) -> str:
    when = created_at if isinstance(created_at, str) else timestamp(created_at)
    payload = json.dumps([prev_hash, when, actor_id, actor_name, action, subject, details],
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainEntry:
    id: int
    created_at: str
    actor_id: int | None
    actor_name: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    message: str


def check(entries: Iterable[ChainEntry]) -> Iterator[ChainProblem]:
    """Every place where the chain does not hold, from the first entry on."""
    expected_prev = GENESIS
    for entry in entries:
        if entry.prev_hash != expected_prev:
            yield ChainProblem(entry.id, "does not follow the entry before it "
                                         "(an entry was deleted, inserted or changed)")
        recomputed = entry_hash(entry.prev_hash, entry.created_at, entry.actor_id, entry.actor_name,
                                entry.action, entry.subject, entry.details)
        if recomputed != entry.hash:
            yield ChainProblem(entry.id, "its content does not match its hash (the entry was edited)")
        expected_prev = entry.hash


def write_csv(entries: Iterable[ChainEntry]) -> Iterator[str]:
    """The log as CSV lines (UTF-8 with BOM for spreadsheets), raw values, one entry a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + flush()
    for e in entries:
        writer.writerow([e.id, e.created_at, "" if e.actor_id is None else e.actor_id,
                         *(_quote(text) for text in (e.actor_name, e.action, e.subject,
                                                     canonical_details(e.details))),
                         e.prev_hash, e.hash])
        yield flush()


def read_csv(text: str) -> Iterator[ChainEntry]:
    """Entries from :func:`write_csv`'s output; raises ValueError on a malformed file."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    if reader.fieldnames != CSV_COLUMNS:
        raise ValueError(f"not an audit log CSV: the columns must be {', '.join(CSV_COLUMNS)}")
    for line, row in enumerate(reader, start=2):
        try:
            yield ChainEntry(
                id=int(row["id"]), created_at=row["created_at"],
                actor_id=int(row["actor_id"]) if row["actor_id"] else None,
                actor_name=_unquote(row["actor_name"]), action=_unquote(row["action"]),
                subject=_unquote(row["subject"]), details=json.loads(_unquote(row["details"])),
                prev_hash=row["prev_hash"], hash=row["hash"])
        except (TypeError, ValueError) as error:
            raise ValueError(f"line {line}: {error}") from None


def _quote(text: str) -> str:
    return "'" + text if text.startswith(_QUOTED_STARTS) else text


def _unquote(text: str) -> str:
    return text[1:] if text.startswith("'") else text


# --- anchors ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Anchor:
    """The head of the chain at a moment, kept outside the database: a later rewrite of the chain,
    or the loss of its tail, no longer matches it."""

    count: int
    head_id: int
    head_hash: str
    taken_at: str

    def line(self) -> str:
        return (f"lms-audit-anchor count={self.count} id={self.head_id} hash={self.head_hash} "
                f"at={self.taken_at}")

    @classmethod
    def parse(cls, text: str) -> Anchor:
        for line in text.splitlines():
            if line.startswith("lms-audit-anchor "):
                fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
                try:
                    return cls(int(fields["count"]), int(fields["id"]), fields["hash"], fields["at"])
                except (KeyError, ValueError):
                    break
        raise ValueError("no anchor line (lms-audit-anchor count=… id=… hash=… at=…) found")


def check_anchor(entries: Iterable[ChainEntry], anchor: Anchor) -> list[str]:
    """What contradicts the anchor: the anchored entry missing (a truncated log), or carrying
    another hash (the chain was rewritten and re-hashed)."""
    for position, entry in enumerate(entries, start=1):
        if entry.id == anchor.head_id:
            if position != anchor.count:
                return [f"entry {entry.id} is number {position} in the log, the anchor says "
                        f"{anchor.count}: entries before it were deleted or inserted"]
            if entry.hash != anchor.head_hash:
                return [f"entry {entry.id} has hash {entry.hash[:16]}…, the anchor taken {anchor.taken_at} "
                        f"says {anchor.head_hash[:16]}…: the chain was rewritten"]
            return []
    return [f"entry {anchor.head_id}, the head when the anchor was taken {anchor.taken_at}, is missing: "
            "the log was truncated"]

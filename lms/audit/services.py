"""Writing and checking the audit log: a hash chain, so an edited or deleted entry shows.

Each entry's hash covers its own fields and the previous entry's hash. ``record`` flushes in the
caller's transaction, so an action and its entry are committed (or rolled back) together.

Appends go through one writer at a time, so that two transactions never read the same head and
fork the chain: on PostgreSQL a transaction-scoped advisory lock, taken before the head is read
and held until commit; on SQLite the database's write lock, which every request that may write
takes when it begins (``BEGIN IMMEDIATE``, see :mod:`lms.transaction`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text

from ..accounts.models import User
from ..db import session, utcnow
from ..paging import Pager
from .chain import GENESIS, Anchor, ChainEntry, ChainProblem, check, entry_hash, timestamp
from .models import AuditEntry

#: The PostgreSQL advisory lock of the audit chain's writer: any constant bigint.
CHAIN_LOCK_KEY = int.from_bytes(b"lmsaudit", "big")

__all__ = ["GENESIS", "AuditFilter", "ChainProblem", "anchor", "audit_count", "chain_entries", "entries",
           "entries_page", "entry_hash", "record", "verify_chain"]


def record(action: str, subject: str, actor: User | None = None,
           details: dict[str, Any] | None = None, now: datetime | None = None) -> AuditEntry:
    """Append an entry: e.g. ``record("certificate.revoked", serial, hr_user, {"reason": …})``."""
    _serialise_appends()
    last = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    prev_hash = last.hash if last is not None else GENESIS
    created_at = now or utcnow()
    details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
    actor_name = actor.display_name if actor is not None else "system"
    entry = AuditEntry(created_at=created_at, actor_id=actor.id if actor else None,
                       actor_name=actor_name, action=action, subject=subject, details=details,
                       prev_hash=prev_hash,
                       hash=entry_hash(prev_hash, created_at, actor.id if actor else None,
                                       actor_name, action, subject, details))
    session.add(entry)
    session.flush()
    return entry


def _serialise_appends() -> None:
    """Wait until no other transaction is appending (see the module's docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def chain_entries() -> Iterator[ChainEntry]:
    """The whole log in order, as the chain's plain data."""
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        yield ChainEntry(e.id, timestamp(e.created_at), e.actor_id, e.actor_name, e.action, e.subject,
                         e.details, e.prev_hash, e.hash)


def verify_chain() -> list[ChainProblem]:
    """Every place where the chain does not hold; empty when the log is intact."""
    return list(check(chain_entries()))


def audit_count() -> int:
    return session.scalar(select(func.count(AuditEntry.id))) or 0


def anchor(now: datetime | None = None) -> Anchor:
    """The head of the chain now, to keep outside the database."""
    count = audit_count()
    head = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    return Anchor(count, head.id if head else 0, head.hash if head else GENESIS,
                  timestamp(now or utcnow()))


@dataclass(frozen=True)
class AuditFilter:
    """Which entries the audit log page shows. ``text``: part of the actor's name or of the
    subject (a username, employee number, course, certificate serial), any case. ``after`` and
    ``until``: the moments the entries were recorded in, ``after < created_at <= until``."""

    action: str | None = None
    text: str | None = None
    after: datetime | None = None
    until: datetime | None = None

    def where(self) -> list:
        conditions = []
        if self.action:
            conditions.append(AuditEntry.action.startswith(self.action, autoescape=True))
        if self.text:
            conditions.append(AuditEntry.actor_name.icontains(self.text, autoescape=True)
                              | AuditEntry.subject.icontains(self.text, autoescape=True))
        if self.after is not None:
            conditions.append(AuditEntry.created_at > self.after)
        if self.until is not None:
            conditions.append(AuditEntry.created_at <= self.until)
        return conditions


def entries_page(wanted: AuditFilter, page: int, per_page: int) -> tuple[list[AuditEntry], Pager]:
    """One page of the entries ``wanted`` selects, newest first, and where it lies among them."""
    total = session.scalar(select(func.count(AuditEntry.id)).where(*wanted.where())) or 0
    pager = Pager.of(total, page, per_page)
    rows = session.scalars(select(AuditEntry).where(*wanted.where()).order_by(AuditEntry.id.desc())
                           .offset(pager.offset).limit(pager.per_page))
    return list(rows), pager


def entries(action: str | None = None, limit: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))

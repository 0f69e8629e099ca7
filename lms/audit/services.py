"""Writing and checking the audit log: a hash chain, so an edited or deleted entry shows.

Each entry's hash covers its own fields and the previous entry's hash. ``record`` flushes in the
caller's transaction, so an action and its entry are committed (or rolled back) together.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..db import session, utcnow
from .models import AuditEntry

GENESIS = "0" * 64


def entry_hash(prev_hash: str, created_at: datetime, actor_id: int | None, actor_name: str,
               action: str, subject: str, details: dict[str, Any]) -> str:
    payload = json.dumps([prev_hash, created_at.isoformat(timespec="microseconds"), actor_id,
                          actor_name, action, subject, details],
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(action: str, subject: str, actor: User | None = None,
           details: dict[str, Any] | None = None, now: datetime | None = None) -> AuditEntry:
    """Append an entry: e.g. ``record("certificate.revoked", serial, hr_user, {"reason": …})``."""
    last = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
                          .with_for_update())
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


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    message: str


def verify_chain() -> list[ChainProblem]:
    """Every place where the chain does not hold; empty when the log is intact."""
    problems = []
    expected_prev = GENESIS
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        if entry.prev_hash != expected_prev:
            problems.append(ChainProblem(entry.id, "does not follow the entry before it "
                                                   "(an entry was deleted or changed)"))
        recomputed = entry_hash(entry.prev_hash, entry.created_at, entry.actor_id, entry.actor_name,
                                entry.action, entry.subject, entry.details)
        if recomputed != entry.hash:
            problems.append(ChainProblem(entry.id, "its content does not match its hash "
                                                   "(the entry was edited)"))
        expected_prev = entry.hash
    return problems


def entries(action: str | None = None, limit: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))

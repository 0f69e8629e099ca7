"""Writing a chunk of demo rows with bulk INSERTs."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from ..accounts.models import User, UserRole
from ..assessments.models import (
    AttemptResponse,
    QuizAttempt,
    ScenarioChoice,
    ScenarioPlay,
    SummaryEvent,
    TrainingSummary,
)
from ..audit.models import AuditEntry
from ..audit.services import GENESIS, entry_hash
from ..certificates.models import Certificate
from ..db import session
from ..learning.models import Enrolment, ModuleProgress
from .people import DemoError
from .planning import Actor, Batch, Context


def _insert(model: type, rows: list[dict[str, Any]], ids: bool = False) -> list[int]:
    """Bulk INSERT of every row as given (a Core insert: an explicit None stays NULL rather than
    becoming the column's default); with ``ids``, the new ids in the order of ``rows``."""
    if not rows:
        return []
    table = model.__table__
    if ids:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, rows))
    session.execute(insert(table), rows)
    return []


def _link(rows: list[dict[str, Any]], key: str, column: str, ids: list[int]) -> None:
    for row in rows:
        row[column] = ids[row.pop(key)]


def write_learning(batch: Batch) -> None:
    """Everything but the certificates, parents first."""
    users = _insert(User, batch.users, ids=True)
    _link(batch.roles, "_user", "user_id", users)
    _insert(UserRole, batch.roles)
    _link(batch.enrolments, "_user", "user_id", users)
    enrolments = _insert(Enrolment, batch.enrolments, ids=True)
    for rows in (batch.progress, batch.attempts, batch.plays, batch.summaries, batch.certificates):
        _link(rows, "_enrolment", "enrolment_id", enrolments)
    _insert(ModuleProgress, batch.progress)
    _link(batch.responses, "_attempt", "attempt_id", _insert(QuizAttempt, batch.attempts, ids=True))
    _insert(AttemptResponse, batch.responses)
    _link(batch.choices, "_play", "play_id", _insert(ScenarioPlay, batch.plays, ids=True))
    _insert(ScenarioChoice, batch.choices)
    _link(batch.events, "_summary", "summary_id", _insert(TrainingSummary, batch.summaries, ids=True))
    for event in batch.events:
        trainee = users[event.pop("_user")]
        event["actor_id"] = event["actor_id"] or trainee
    _insert(SummaryEvent, batch.events)
    _link(batch.certificates, "_user", "user_id", users)


def write_certificates(batch: Batch, pdfs: list[bytes], context: Context) -> None:
    """The certificates with their PDFs, and their audit entries continuing the hash chain."""
    entries = []
    for row, pdf in zip(batch.certificates, pdfs, strict=True):
        row.pop("_template")
        course = row.pop("_course")
        row["pdf"], row["sha256"] = pdf, hashlib.sha256(pdf).hexdigest()
        snapshot = row["snapshot"]
        entries.append((row["issued_at"], None, "certificate.issued", row["serial"],
                        {"holder": snapshot["holder_name"], "employee_no": snapshot["employee_no"],
                         "course": course, "sha256": row["sha256"]}))
        if row["revoked_at"] is not None:
            entries.append((row["revoked_at"], context.hr, "certificate.revoked", row["serial"],
                            {"reason": row["revoked_reason"]}))
    _insert(Certificate, batch.certificates)
    append_audit(sorted(entries, key=lambda entry: entry[0]))


def append_audit(entries: list[tuple[datetime, Actor | None, str, str, dict[str, Any]]]) -> None:
    """Audit entries in this order, each hashed on the one before, as ``audit.services.record`` does."""
    if not entries:
        return
    last = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1).with_for_update())
    previous = last or GENESIS
    rows = []
    for created_at, actor, action, subject, details in entries:
        actor_id, actor_name = (actor.id, actor.name) if actor else (None, "system")
        digest = entry_hash(previous, created_at, actor_id, actor_name, action, subject, details)
        rows.append({"created_at": created_at, "actor_id": actor_id, "actor_name": actor_name,
                     "action": action, "subject": subject, "details": details,
                     "prev_hash": previous, "hash": digest})
        previous = digest
    ids = _insert(AuditEntry, rows, ids=True)
    if ids != sorted(ids):
        raise DemoError("the database numbered the audit entries out of order")



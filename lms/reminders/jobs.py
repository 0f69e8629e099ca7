"""``lms remind --enqueue``: the same reminders, sent by the worker."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from ..db import session, utcnow
from ..jobs import job
from ..transaction import deferred
from . import services
from .mail import Mailer


@job(retries=2, retry_delay=600)
def send_reminders(now: str | None = None) -> int:
    """Send the reminders due at ``now`` (ISO time; default: when the job runs). Each one sent
    is recorded at once, so a retry after a failed message sends only what is still due."""
    moment = datetime.fromisoformat(now) if now else utcnow()
    with deferred():  # planning only reads: no write lock held while it runs, nor while mail is sent
        planned = services.plan(moment)
        session.commit()
    if not planned.messages:
        return 0
    with Mailer.from_config(current_app.config) as mailer:
        summary = services.deliver(planned, mailer)
    if summary.failed:
        raise RuntimeError(f"{len(summary.failed)} reminder(s) failed: {summary.failed[0].reason}")
    return len(summary.sent)

"""``lms remind``: email the reminders that are due; run it daily from cron."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import session, utcnow
from ..urls import PublicUrlMissing
from . import services
from .mail import Mailer, MailError

LABELS = {services.DUE: "due-date", services.EXPIRY: "certificate expiry", services.HR_DIGEST: "HR digest",
          services.NOTICE: "notice"}


def _parse_now(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("expected a date and time such as 2026-12-01T09:00",
                                 param_hint="--now") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["LMS_TIMEZONE"]))
    return moment.astimezone(UTC)


def _counts(counts: Counter[str]) -> str:
    """The count of every kind of reminder; notices only when there are some."""
    return ", ".join(f"{counts[kind]} {LABELS[kind]}" for kind in services.KINDS
                     if kind != services.NOTICE or counts[kind])


def _describe(message: services.Outgoing) -> str:
    return f"{message.kind} {message.step} to {', '.join(message.email.to)}: {message.email.subject}"


@click.command("remind")
@click.option("--now", "moment", metavar="DATETIME",
              help="Act as if it were this time (local, e.g. 2026-12-01T09:00): for tests and catching up.")
@click.option("--dry-run", is_flag=True, help="Print who would be sent what; send and record nothing.")
@click.option("--enqueue", is_flag=True,
              help="Leave the sending to the worker (`lms worker`), which retries failures.")
@with_appcontext
def remind_command(moment: str | None, dry_run: bool, enqueue: bool) -> None:
    """Email trainees about due dates, expiring certificates and new notices, and HR about overdue
    trainees.

    Each reminder is sent once. Exits 1 when a message failed; the next run tries it again."""
    now = _parse_now(moment) if moment else utcnow()
    if not dry_run and not current_app.config.get("LMS_MAIL_SERVER"):
        click.echo("error: LMS_MAIL_SERVER is not set, so no email can be sent (see --dry-run)", err=True)
        sys.exit(1)
    if not current_app.config.get("LMS_PUBLIC_URL"):
        click.echo(f"error: {PublicUrlMissing()}; emails link to the site", err=True)
        sys.exit(1)
    if enqueue and not dry_run:
        from ..jobs import enqueue as put
        from .jobs import send_reminders

        put(send_reminders, now.isoformat() if moment else None)
        click.echo("queued: the worker sends the reminders")
        return
    planned = services.plan(now)
    for notice in planned.skipped:
        click.echo(f"skipped (no email): {notice.user.display_name} ({notice.user.employee_no or '-'}) "
                   f"{notice.kind} {notice.step}, {notice.course.title}")
    if dry_run:
        for message in planned.messages:
            click.echo(f"would send {_describe(message)}")
        click.echo(f"dry run: would send {_counts(Counter(m.kind for m in planned.messages))}; "
                   f"skipped (no email): {len(planned.skipped)}; nothing was sent or recorded")
        return
    session.commit()  # ends the planning's reading: each message sent is recorded in its own transaction
    summary = services.Summary(skipped=len(planned.skipped))
    if planned.messages:  # connect only when there is something to send
        try:
            with Mailer.from_config(current_app.config) as mailer:
                summary = services.deliver(planned, mailer)
        except MailError as error:
            click.echo(f"error: {error}; nothing was sent", err=True)
            sys.exit(1)
    for message in summary.sent:
        click.echo(f"sent {_describe(message)}")
    for failure in summary.failed:
        click.echo(f"failed {_describe(failure.message)}: {failure.reason}", err=True)
    click.echo(f"sent: {_counts(summary.counts())}; skipped (no email): {summary.skipped}; "
               f"failed: {len(summary.failed)}")
    if summary.failed:
        sys.exit(1)

"""``lms certificates …``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import session, utcnow
from . import services
from .models import CertificateStatus


def _get(serial: str):
    certificate = services.find(serial)
    if certificate is None:
        click.echo(f"error: no certificate {serial}", err=True)
        sys.exit(1)
    return certificate


@click.group("certificates", help="Issued certificates.")
def certificates_group() -> None:
    pass


@certificates_group.command("list")
@click.option("--status", type=click.Choice([status.value for status in CertificateStatus]))
@with_appcontext
def list_certificates(status: str | None) -> None:
    """Serial, status, holder, employee number, course, issued, expires."""
    from sqlalchemy import select

    from .models import Certificate

    now = utcnow()
    for certificate in session.scalars(select(Certificate).order_by(Certificate.issued_at)):
        state = certificate.status(now)
        if status and state != status:
            continue
        snap = certificate.snapshot
        click.echo("\t".join([certificate.serial, state, snap["holder_name"], snap["employee_no"] or "-",
                              snap["course_title"], snap["issued_on"], snap["expires_on"] or "-"]))


@certificates_group.command("show")
@click.argument("serial")
@with_appcontext
def show(serial: str) -> None:
    certificate = _get(serial)
    snap = certificate.snapshot
    click.echo(f"serial:    {certificate.serial}\nstatus:    {certificate.status(utcnow())}\n"
               f"holder:    {snap['holder_name']} ({snap['employee_no'] or '-'})\n"
               f"course:    {snap['course_title']} ({snap['hours']:g} h)\n"
               f"score:     {snap['score'] if snap['score'] is not None else '-'}\n"
               f"issued:    {snap['issued_on']}\nexpires:   {snap['expires_on'] or 'never'}\n"
               f"sha256:    {certificate.sha256}\nverify:    {snap['verify_url']}")
    if certificate.revoked_at:
        click.echo(f"revoked:   {certificate.revoked_at:%Y-%m-%d} — {certificate.revoked_reason}")
    if certificate.superseded_by is not None:
        click.echo(f"replaced by: {certificate.superseded_by.serial}")


@certificates_group.command("export")
@click.argument("serial")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export(serial: str, output: str) -> None:
    """Write the stored PDF, byte for byte."""
    certificate = _get(serial)
    Path(output).write_bytes(certificate.pdf)
    click.echo(f"wrote {output} ({len(certificate.pdf)} bytes)")


@certificates_group.command("verify")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def verify(pdf: str) -> None:
    """Exit 0 only for an unaltered certificate issued here, printing its status."""
    certificate = services.find_by_pdf(Path(pdf).read_bytes())
    if certificate is None:
        click.echo(f"{pdf}: not a certificate issued here, or altered since it was issued")
        sys.exit(1)
    click.echo(f"{pdf}: {certificate.serial} {certificate.status(utcnow())} — "
               f"{certificate.snapshot['holder_name']}, {certificate.snapshot['course_title']}")


@certificates_group.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True)
@with_appcontext
def revoke(serial: str, reason: str) -> None:
    try:
        services.revoke(_get(serial), reason, None)
    except services.CertificateError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    session.commit()
    click.echo(f"{serial} revoked")


@certificates_group.command("reissue")
@click.argument("serial")
@with_appcontext
def reissue(serial: str) -> None:
    try:
        new = services.reissue(_get(serial), None)
    except services.CertificateError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    session.commit()
    click.echo(f"{serial} superseded by {new.serial}")


@certificates_group.command("recertify")
@click.option("--within", "within_days", default=60, show_default=True,
              help="Start refreshers for certificates expiring within this many days.")
@with_appcontext
def recertify(within_days: int) -> None:
    """Enrol holders of expiring certificates for the refresher (run from cron)."""
    started = services.start_refreshers(within_days)
    session.commit()
    for enrolment in started:
        click.echo(f"{enrolment.user.employee_no or enrolment.user.username}\t{enrolment.course.slug}\t"
                   f"cycle {enrolment.cycle}\tdue {enrolment.due_at:%Y-%m-%d}")
    click.echo(f"{len(started)} refresher enrolment(s) started")

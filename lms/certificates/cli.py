"""``lms certificates …``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import session, utcnow
from ..transaction import writing_command
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
    """Exit 0 only for an unaltered certificate issued here: its signature is intact and made with
    this site's key, and its SHA-256 is that of an issued certificate. Prints both checks."""
    result = services.verify_pdf(Path(pdf).read_bytes())
    signature = result.signature
    signer = f" ({signature.signer})" if signature.signer else ""
    detail = f": {signature.detail}" if signature.detail else ""
    click.echo(f"signature: {signature.status}{signer}{detail}")
    certificate = result.certificate
    if certificate is None:
        click.echo("record:    no certificate issued here has exactly this content")
    else:
        click.echo(f"record:    {certificate.serial} {certificate.status(utcnow())} — "
                   f"{certificate.snapshot['holder_name']}, {certificate.snapshot['course_title']}")
    if not result.is_valid:
        checks = (("signature", signature.is_valid), ("record", certificate is not None))
        failed = [name for name, ok in checks if not ok]
        click.echo(f"{pdf}: NOT verified ({' and '.join(failed)} check failed)")
        sys.exit(1)
    click.echo(f"{pdf}: verified")


@certificates_group.command("signer")
@with_appcontext
def signer() -> None:
    """Print the certificate that signs certificates (PEM) and its SHA-256 fingerprint: give it to
    those who check certificates in a PDF reader, to trust."""
    from flask import current_app

    from .signing import signer_certificate, signing_keys

    keys = signing_keys(current_app)
    cert = signer_certificate(keys)
    fingerprint = cert.sha256.hex().upper()
    click.echo(f"subject:     {cert.subject.human_friendly}\nvalid until: {cert.not_valid_after:%Y-%m-%d}\n"
               f"sha256:      {':'.join(fingerprint[i:i + 2] for i in range(0, len(fingerprint), 2))}\n"
               f"file:        {keys.cert}")
    click.echo(Path(keys.cert).read_text(encoding="ascii").strip())


@certificates_group.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True)
@with_appcontext
@writing_command
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
@writing_command
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
@writing_command
def recertify(within_days: int) -> None:
    """Enrol holders of expiring certificates for the refresher (run from cron)."""
    started = services.start_refreshers(within_days)
    session.commit()
    for enrolment in started:
        click.echo(f"{enrolment.user.employee_no or enrolment.user.username}\t{enrolment.course.slug}\t"
                   f"cycle {enrolment.cycle}\tdue {enrolment.due_at:%Y-%m-%d}")
    click.echo(f"{len(started)} refresher enrolment(s) started")

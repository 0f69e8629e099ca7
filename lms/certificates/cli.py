"""``lms certificates …``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..audit.services import record
from ..db import session, utcnow
from ..jobs import enqueue as put
from ..progress import progress
from ..transaction import deferred, writing_command
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
    if result.is_unsigned_record:
        click.echo("signature: unsigned (issued before signing): `lms certificates sign "
                   f"{result.certificate.serial}` adds one")
    else:
        click.echo(f"signature: {signature.status}{signer}{detail}")
    if signature.key:
        click.echo(f"key:       {signature.key}")
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

    from .signing import fingerprint, keyring, signer_certificate, signing_keys

    keys = signing_keys(current_app)
    cert = signer_certificate(keys)
    click.echo(f"subject:     {cert.subject.human_friendly}\nvalid until: {cert.not_valid_after:%Y-%m-%d}\n"
               f"sha256:      {fingerprint(cert)}\n"
               f"file:        {keys.cert}")
    click.echo(Path(keys.cert).read_text(encoding="ascii").strip())
    for retired, name in keyring(keys)[1:]:
        click.echo(f"also trusted: {name} {fingerprint(retired)}")


@certificates_group.command("rotate-key")
@with_appcontext
def rotate_key() -> None:
    """Make a new instance signing key; the old certificate stays trusted, so what it signed
    still verifies. New certificates are signed with the new key."""
    from flask import current_app

    from .signing import fingerprint, rotate_instance_key, signer_certificate, signing_keys

    if current_app.config.get("LMS_SIGNING_KEY") or current_app.config.get("LMS_SIGNING_CERT"):
        click.echo("error: LMS_SIGNING_KEY and LMS_SIGNING_CERT are set: point them to your new key and "
                   "certificate, and keep the old certificate trusted with "
                   "`lms certificates trust OLD_CERT.pem`", err=True)
        sys.exit(1)
    old = signer_certificate(signing_keys(current_app))
    keys, kept = rotate_instance_key(Path(current_app.instance_path), current_app.config["LMS_ISSUER"])
    record("certificates.key_rotated", fingerprint(old), None,
           {"retired_key": fingerprint(old), "current": fingerprint(signer_certificate(keys))})
    session.commit()
    click.echo(f"retired:  {fingerprint(old)} (kept in {kept})\n"
               f"current:  {fingerprint(signer_certificate(keys))}\n"
               "Give the new certificate (`lms certificates signer`) to those who check certificates "
               "in a PDF reader.")


@certificates_group.command("trust")
@click.argument("pem", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def trust(pem: str) -> None:
    """Keep a certificate of an earlier signing key (e.g. your previous LMS_SIGNING_CERT) trusted."""
    from flask import current_app

    from .signing import SigningKeyError, trust_certificate

    try:
        kept = trust_certificate(Path(current_app.instance_path), Path(pem).read_bytes())
    except SigningKeyError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    record("certificates.key_trusted", Path(kept).stem, None, {"file": pem})
    session.commit()
    click.echo(f"trusted: {kept}")


@certificates_group.command("sign")
@click.argument("serials", nargs=-1)
@click.option("--all-unsigned", is_flag=True, help="Every stored certificate that carries no signature.")
@with_appcontext
def sign(serials: tuple[str, ...], all_unsigned: bool) -> None:
    """Sign certificates stored before signing existed (an incremental update: the original bytes
    stay a prefix of the new ones); each one's old and new SHA-256 go into the audit log."""
    from sqlalchemy import select

    from .models import Certificate

    if bool(serials) == all_unsigned:
        click.echo("error: give SERIAL… or --all-unsigned", err=True)
        sys.exit(2)
    if all_unsigned:
        serials = tuple(session.scalars(select(Certificate.serial).order_by(Certificate.id)))
    signed = 0
    for serial in serials:
        certificate = _get(serial)
        try:
            hashes = services.sign_unsigned(certificate)
        except services.CertificateError as error:
            session.rollback()
            click.echo(f"error: {serial}: {error}", err=True)
            sys.exit(1)
        session.commit()  # one certificate at a time: a failure keeps those already signed
        if hashes is None:
            if not all_unsigned:
                click.echo(f"{serial}: already signed")
            continue
        signed += 1
        click.echo(f"{serial}: signed, sha256 {hashes[0]} -> {hashes[1]}")
    click.echo(f"{signed} certificate(s) signed")


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
@click.argument("serials", nargs=-1)
@click.option("--course", "course_slug", help="Every current (valid or expiring) certificate of this course.")
@click.option("--enqueue", is_flag=True, help="Leave the rendering to the worker (`lms worker`).")
@with_appcontext
@writing_command
def reissue(serials: tuple[str, ...], course_slug: str | None, enqueue: bool) -> None:
    """New certificates from the holders' current details; the old ones are superseded."""
    from . import jobs

    certificates = [_get(serial) for serial in serials]
    if course_slug:
        certificates += services.current_certificates(_course(course_slug))
    if not certificates:
        click.echo("error: name certificates (SERIAL…) or --course", err=True)
        sys.exit(1)
    if enqueue:
        ids = [certificate.id for certificate in certificates]
        session.rollback()  # only read: hold no lock while the jobs are handed over
        for certificate_id in ids:
            put(jobs.reissue_certificate, certificate_id)
        click.echo(f"{len(ids)} re-issue(s) queued")
        return
    session.commit()  # only read so far: hold no write lock while certificates render
    with click.progressbar(certificates, label="re-issuing", file=sys.stderr) as bar:
        for certificate in bar:
            with deferred():  # rendered without holding up the site's writers
                prepared = services.prepare_reissue(certificate)
                session.commit()
            try:
                new = services.reissue(certificate, None, prepared=prepared)
            except services.CertificateError as error:
                click.echo(f"error: {certificate.serial}: {error}", err=True)
                sys.exit(1)
            session.commit()
            click.echo(f"{certificate.serial} superseded by {new.serial}")


@certificates_group.command("recertify")
@click.option("--within", "within_days", default=60, show_default=True,
              help="Start refreshers for certificates expiring within this many days.")
@click.option("--enqueue", is_flag=True, help="Leave it to the worker (`lms worker`).")
@with_appcontext
@writing_command
def recertify(within_days: int, enqueue: bool) -> None:
    """Enrol holders of expiring certificates for the refresher (run from cron)."""
    if enqueue:
        from .jobs import start_refreshers

        put(start_refreshers, within_days)
        click.echo("queued: the worker starts the refreshers")
        return
    certificates = services.expiring_within(within_days)
    with progress(len(certificates), "starting refreshers") as bar:
        started = services.start_refreshers(certificates, progress=bar)
        session.commit()
    for enrolment in started:
        click.echo(f"{enrolment.user.employee_no or enrolment.user.username}\t{enrolment.course.slug}\t"
                   f"cycle {enrolment.cycle}\tdue {services.local_date(enrolment.due_at):%Y-%m-%d}")
    click.echo(f"{len(started)} refresher enrolment(s) started")


@certificates_group.command("issue-pending")
@click.option("--enqueue", is_flag=True, help="Leave the rendering to the worker (`lms worker`).")
@with_appcontext
def issue_pending(enqueue: bool) -> None:
    """Issue the certificate of every completed enrolment that has none yet (after a failure,
    a configuration fix, or a worker stopped mid-render)."""
    from . import jobs

    pending = services.pending_completions()
    if enqueue:
        for enrolment_id in pending:
            put(jobs.issue_certificate, enrolment_id)
        click.echo(f"{len(pending)} certificate(s) queued")
        return
    issued = 0
    for enrolment_id in pending:
        try:
            issued += jobs.issue_certificate(enrolment_id) is not None
        except Exception as error:  # recorded for HR by the job; the others still go
            click.echo(f"error: enrolment {enrolment_id}: {type(error).__name__}: {error}", err=True)
        session.commit()
    click.echo(f"{issued} of {len(pending)} pending certificate(s) issued")
    if issued < len(pending):
        sys.exit(1)


def _course(slug: str):
    from ..learning.services import get_course

    course = get_course(slug)
    if course is None:
        click.echo(f"error: no course {slug}", err=True)
        sys.exit(1)
    return course

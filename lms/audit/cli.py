"""``lms audit …``: check the hash chain, export it, and anchor it outside the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import problem_sentence, sqlite_path, sqlite_problem
from ..db import engine
from ..progress import progress
from ..reminders.mail import Email, Mailer, MailError
from . import chain, services


@click.group("audit", help="The audit log.")
def audit_group() -> None:
    pass


@audit_group.command("verify")
@click.option("--csv", "csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check a CSV export of the log instead of the database.")
@click.option("--anchor", "anchor_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also check the log against an anchor written by `lms audit anchor`.")
@with_appcontext
def audit_verify(csv_file: Path | None, anchor_file: Path | None) -> None:
    """Exit 0 only when the audit chain is intact (and agrees with the anchor, if given)."""
    source = "the CSV" if csv_file else "the audit log"
    database_file = None if csv_file else sqlite_path(engine().url)
    damage = sqlite_problem(database_file, thorough=True) if database_file else None
    if damage:  # a damaged file can read as a shorter, "intact" chain
        click.echo(f"error: {problem_sentence(database_file, damage)}", err=True)
        sys.exit(1)
    try:
        anchor = chain.Anchor.parse(anchor_file.read_text(encoding="utf-8")) if anchor_file else None
        entries = (list(chain.read_csv(csv_file.read_text(encoding="utf-8-sig"))) if csv_file
                   else list(services.chain_entries()))
    except (ValueError, UnicodeDecodeError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    problems = [f"entry {p.entry_id}: {p.message}" for p in chain.check(entries)]
    if anchor is not None:
        problems += chain.check_anchor(entries, anchor)
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    against = f", and agrees with the anchor taken {anchor.taken_at}" if anchor else ""
    click.echo(f"{source} is intact: {len(entries)} entries{against}")


@audit_group.command("anchor")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Append the anchor line to this file (keep it off this server).")
@click.option("--mail", "mail_to", multiple=True, help="E-mail the anchor to this address.")
@with_appcontext
def audit_anchor(output: Path | None, mail_to: tuple[str, ...]) -> None:
    """Print the chain's head (count and hash) to keep outside the database; `lms audit verify
    --anchor FILE` later proves the log was neither rewritten nor truncated since."""
    problems = services.verify_chain()
    if problems:
        click.echo(f"error: the audit log is not intact ({len(problems)} problem(s)); "
                   "run `lms audit verify` — no anchor written", err=True)
        sys.exit(1)
    anchor = services.anchor()
    click.echo(anchor.line())
    if output is not None:
        with output.open("a", encoding="utf-8") as handle:
            handle.write(anchor.line() + "\n")
    if mail_to:
        if not current_app.config.get("LMS_MAIL_SERVER"):
            click.echo("error: LMS_MAIL_SERVER is not set, so the anchor cannot be e-mailed", err=True)
            sys.exit(1)
        body = (f"{anchor.line()}\n\nKeep this line. To check later that the audit log was neither "
                "rewritten nor truncated, save it to a file and run:\n  lms audit verify --anchor FILE\n")
        try:
            with Mailer.from_config(current_app.config) as mailer:
                mailer.send(Email(mail_to, f"Audit log anchor {anchor.taken_at[:10]}", body))
        except MailError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        click.echo(f"e-mailed to {', '.join(mail_to)}")


@audit_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def audit_export(output: Path) -> None:
    """Write the whole log as CSV (raw values), enough to re-check the chain elsewhere."""
    with output.open("w", encoding="utf-8", newline="") as handle, \
            progress(services.audit_count(), "exporting the audit log") as bar:
        for text in chain.write_csv(services.chain_entries()):
            handle.write(text)
            bar.advance(1)
    click.echo(f"wrote {output}")

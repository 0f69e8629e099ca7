"""The ``lms`` command: run against the app the ``LMS_*`` environment describes."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .content import ContentErrors, load_paths


def _create_app():
    from .app import create_app

    return create_app()


@click.group("lms", help="Collector training: schema, content, accounts.")
def lms_group() -> None:
    pass


def main() -> None:
    """The console script: the ``lms`` commands on the standalone app."""
    cli = FlaskGroup(create_app=_create_app, add_default_commands=True, set_debug_flag=False,
                     load_dotenv=False)
    for name, command in lms_group.commands.items():
        cli.add_command(command, name)
    cli.main(prog_name="lms")


def _load(paths: tuple[str, ...]):
    """Courses and their activities named by ``paths`` (default: every course)."""
    return load_paths([Path(p) for p in paths], Path(current_app.config["LMS_COURSES_DIR"]),
                      Path(current_app.config["LMS_QUIZZES_DIR"]))


def _report_errors(errors: ContentErrors) -> None:
    for error in errors.errors:
        click.echo(str(error), err=True)
    click.echo(f"{len(errors.errors)} problem(s) found; nothing was imported.", err=True)


@lms_group.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database schema."""
    from .migrate import upgrade

    upgrade()
    click.echo("database schema is up to date")


@lms_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@with_appcontext
def check_command(paths: tuple[str, ...], strict: bool) -> None:
    """Validate content and analyse its assessments; print every problem as path:line: message
    and every warning as path:line: warning: message."""
    from .content.analysis import analyse_content

    try:
        courses = _load(paths)
    except ContentErrors as errors:
        for error in errors.errors:
            click.echo(str(error))
        click.echo(f"{len(errors.errors)} problem(s) found", err=True)
        sys.exit(1)
    findings = analyse_content(courses)
    for finding in findings:
        click.echo(str(finding))
    modules = sum(len(course.modules) for course in courses)
    quizzes = sum(len(course.quizzes) for course in courses)
    scenarios = sum(len(course.scenarios) for course in courses)
    click.echo(f"ok: {len(courses)} course(s), {modules} module(s), {quizzes} quiz(zes) and "
               f"case stud(ies), {scenarios} scenario(s)"
               + (f"; {len(findings)} warning(s)" if findings else ""))
    if strict and findings:
        click.echo(f"{len(findings)} warning(s) found (--strict)", err=True)
        sys.exit(1)


@lms_group.command("import")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--author", default=None, help="Recorded on new revisions (default: your login).")
@click.option("--publish/--draft", "publish", default=None,
              help="Publish, or keep as drafts (default: folders are published, a ZIP package "
                   "is kept as drafts). A course that needs four eyes always gets drafts.")
@click.option("-m", "--message", default="", help="Why: recorded on new revisions.")
@with_appcontext
def import_command(paths: tuple[str, ...], author: str | None, publish: bool | None,
                   message: str) -> None:
    """Validate, then load content in one transaction: course folders and a folder of quizzes,
    or a package FILE.zip (its changes are listed first)."""
    from .authoring.packages import import_package, read_package
    from .authoring.services import import_content
    from .authoring.tree import PackageError
    from .db import session

    who = author or _login_name()
    try:
        if len(paths) == 1 and paths[0].lower().endswith(".zip"):
            courses, changes = read_package(paths[0], shown=paths[0])
            for change in changes:
                click.echo(str(change))
            report = import_package(courses, who, bool(publish), message)
        else:
            report = import_content(_load(paths), who, publish is not False, message)
    except PackageError as error:
        click.echo(str(error), err=True)
        click.echo("the package was refused; nothing was imported.", err=True)
        sys.exit(1)
    except ContentErrors as errors:
        _report_errors(errors)
        sys.exit(1)
    session.commit()
    for line in report.lines():
        click.echo(line)


@lms_group.command("export")
@click.argument("course")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="FILE.zip, or a folder to write courses/ and quizzes/ into.")
@with_appcontext
def export_command(course: str, output: str) -> None:
    """Write a published course in the on-disk layout: a ZIP package or folders."""
    from .authoring.packages import export_course
    from .authoring.services import AuthoringError

    try:
        tree = export_course(course, output)
    except AuthoringError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{len(tree)} file(s) written to {output}")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "lms"


@lms_group.command("new-migration", hidden=True)
@click.argument("message")
@with_appcontext
def new_migration_command(message: str) -> None:
    """For developers: write a migration for model changes (run `lms init` first)."""
    from .migrate import new_revision

    new_revision(message)


from .accounts.cli import demo_command, user_group  # noqa: E402
from .assessments.cli import quiz_group, scenario_group, stats_command  # noqa: E402
from .audit.cli import audit_group  # noqa: E402
from .certificates.cli import certificates_group  # noqa: E402
from .reminders.cli import remind_command  # noqa: E402

lms_group.add_command(user_group)
lms_group.add_command(quiz_group)
lms_group.add_command(scenario_group)
lms_group.add_command(stats_command)
lms_group.add_command(certificates_group)
lms_group.add_command(audit_group)
lms_group.add_command(demo_command)
lms_group.add_command(remind_command)

__all__ = ["lms_group", "main"]
